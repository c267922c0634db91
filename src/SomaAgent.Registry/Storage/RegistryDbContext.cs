using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Registry.Storage;

/// <summary>
/// The registry's own tables, beside the session store in the deployment's database: in PostgreSQL in the
/// <c>registry</c> schema with its own migrations history; in the embedded SQLite file with a history table of
/// its own. Identity (tenants, keys) stays in the session store, read through SomaAgent.Security.
/// </summary>
public abstract class RegistryDbContext(DbContextOptions options) : DbContext(options)
{
    public const string Schema = "registry";

    /// <summary>Where the registry's tables and migrations history live (see <see cref="StoreTables"/>).</summary>
    public static StoreTables Tables { get; } = new(PostgresSchema: Schema, SqliteHistoryTable: "__registry_migrations_history");

    public DbSet<CapsuleRecord> Capsules => Set<CapsuleRecord>();

    public DbSet<CapsuleTagRecord> CapsuleTags => Set<CapsuleTagRecord>();

    public DbSet<CapsuleVersionRecord> CapsuleVersions => Set<CapsuleVersionRecord>();

    public DbSet<SigningKeyRecord> SigningKeys => Set<SigningKeyRecord>();

    public DbSet<InstallationRecord> Installations => Set<InstallationRecord>();

    public DbSet<BlobRecord> Blobs => Set<BlobRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        UtcDateTimeConverter.ApplyTo(configurationBuilder);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<CapsuleRecord>(capsule =>
        {
            capsule.ToTable("capsules");
            capsule.HasKey(c => c.Name);
            capsule.Property(c => c.Name).HasMaxLength(64);
            capsule.Property(c => c.OwnerTenantId).HasMaxLength(64);
            capsule.Property(c => c.CreatedBy).HasMaxLength(256);
            capsule.Property(c => c.LatestVersion).HasMaxLength(64);
            capsule.Property(c => c.Description).HasMaxLength(1024);
            capsule.Property(c => c.Publisher).HasMaxLength(128);
            capsule.Property(c => c.Tags).HasMaxLength(1024);
            capsule.Property(c => c.PublisherKey).HasMaxLength(128);
            capsule.Property(c => c.SearchText).HasMaxLength(600);
            capsule.HasIndex(c => c.PublisherKey);
            // A tenant lists its own capsules.
            capsule.HasIndex(c => c.OwnerTenantId);
        });
        modelBuilder.Entity<CapsuleTagRecord>(tag =>
        {
            tag.ToTable("capsule_tags");
            tag.HasKey(t => new { t.Tag, t.CapsuleName });
            tag.Property(t => t.Tag).HasMaxLength(32);
            tag.Property(t => t.CapsuleName).HasMaxLength(64);
            tag.HasIndex(t => t.CapsuleName);
        });
        modelBuilder.Entity<CapsuleVersionRecord>(version =>
        {
            version.ToTable("capsule_versions");
            version.HasKey(v => new { v.CapsuleName, v.Version });
            version.Property(v => v.CapsuleName).HasMaxLength(64);
            version.Property(v => v.Version).HasMaxLength(64);
            version.Property(v => v.PackageDigest).HasMaxLength(64);
            version.Property(v => v.Signature).HasMaxLength(128);
            version.Property(v => v.KeyId).HasMaxLength(80);
            version.Property(v => v.Description).HasMaxLength(1024);
            version.Property(v => v.Publisher).HasMaxLength(128);
            version.Property(v => v.PublishedBy).HasMaxLength(256);
            version.Property(v => v.YankReason).HasMaxLength(512);
            // The janitor asks whether any version points at a blob.
            version.HasIndex(v => v.PackageDigest);
        });
        modelBuilder.Entity<SigningKeyRecord>(key =>
        {
            key.ToTable("signing_keys");
            key.HasKey(k => new { k.TenantId, k.KeyId });
            key.Property(k => k.TenantId).HasMaxLength(64);
            key.Property(k => k.KeyId).HasMaxLength(80);
            key.Property(k => k.Name).HasMaxLength(128);
            key.Property(k => k.PublicKeyPem).HasMaxLength(1024);
            key.Property(k => k.CreatedBy).HasMaxLength(256);
        });
        modelBuilder.Entity<InstallationRecord>(installation =>
        {
            installation.ToTable("installations");
            installation.HasKey(i => i.Id);
            installation.Property(i => i.TenantId).HasMaxLength(64);
            installation.Property(i => i.CapsuleName).HasMaxLength(64);
            installation.Property(i => i.Version).HasMaxLength(64);
            installation.Property(i => i.CreatedBy).HasMaxLength(256);
            installation.HasIndex(i => new { i.TenantId, i.CapsuleName, i.Version }).IsUnique();
            // A tenant's installations, newest first, page by page.
            installation.HasIndex(i => new { i.TenantId, i.CreatedAt, i.Id });
        });
        modelBuilder.Entity<BlobRecord>(blob =>
        {
            blob.ToTable("blobs");
            blob.HasKey(b => b.Digest);
            blob.Property(b => b.Digest).HasMaxLength(64);
        });
    }
}

/// <summary>The embedded registry tables: in the SQLite file the session store uses.</summary>
public sealed class SqliteRegistryDbContext(DbContextOptions<SqliteRegistryDbContext> options) : RegistryDbContext(options);

/// <summary>The server registry tables: the <c>registry</c> schema of the PostgreSQL database.</summary>
public sealed class PostgresRegistryDbContext(DbContextOptions<PostgresRegistryDbContext> options) : RegistryDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.HasDefaultSchema(Schema);
        base.OnModelCreating(modelBuilder);
    }
}

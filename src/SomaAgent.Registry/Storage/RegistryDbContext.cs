using Microsoft.EntityFrameworkCore;
using SomaAgent.Registry.Capsules;
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
            // A tenant lists its own capsules.
            capsule.HasIndex(c => c.OwnerTenantId);
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

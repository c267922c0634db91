using Microsoft.EntityFrameworkCore;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// The session store's model. Each provider has its own subclass so it can own its migrations
/// (<see cref="SqliteSessionDbContext"/>, <see cref="PostgresSessionDbContext"/>).
/// </summary>
public abstract class SessionDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<SessionRecord> Sessions => Set<SessionRecord>();
    public DbSet<MessageRecord> Messages => Set<MessageRecord>();
    public DbSet<SessionEventRecord> Events => Set<SessionEventRecord>();
    public DbSet<IdempotencyRecord> IdempotencyKeys => Set<IdempotencyRecord>();
    public DbSet<ToolMemoryRecord> ToolMemory => Set<ToolMemoryRecord>();
    public DbSet<QueuedInputRecord> QueuedInputs => Set<QueuedInputRecord>();
    public DbSet<TenantRecord> Tenants => Set<TenantRecord>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is UTC; SQLite forgets the kind, so say it again on the way out.
        UtcDateTimeConverter.ApplyTo(configurationBuilder);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        modelBuilder.Entity<SessionRecord>(session =>
        {
            session.ToTable("sessions");
            session.HasKey(s => s.Id);
            session.Property(s => s.TenantId).HasMaxLength(64);
            session.Property(s => s.CreatedBy).HasMaxLength(256);
            session.Property(s => s.Model).HasMaxLength(128);
            session.Property(s => s.Status).HasMaxLength(16);
            session.Property(s => s.StatusReason).HasMaxLength(2048);
            session.Property(s => s.LeaseOwner).HasMaxLength(128);
            // Paged lists walk a tenant's sessions newest first.
            session.HasIndex(s => new { s.TenantId, s.CreatedAt, s.Id });
            // Recovery finds the turns that were in flight.
            session.HasIndex(s => s.Status);
        });

        modelBuilder.Entity<MessageRecord>(message =>
        {
            message.ToTable("messages");
            message.HasKey(m => new { m.SessionId, m.Ordinal });
            message.Property(m => m.TenantId).HasMaxLength(64);
            message.Property(m => m.CreatedBy).HasMaxLength(256);
            message.Property(m => m.Role).HasMaxLength(16);
            message.Property(m => m.ToolCallId).HasMaxLength(128);
            message.Property(m => m.ToolName).HasMaxLength(128);
            message.HasOne<SessionRecord>().WithMany().HasForeignKey(m => m.SessionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SessionEventRecord>(sessionEvent =>
        {
            sessionEvent.ToTable("session_events");
            sessionEvent.HasKey(e => new { e.SessionId, e.Sequence });
            sessionEvent.Property(e => e.TenantId).HasMaxLength(64);
            sessionEvent.Property(e => e.CreatedBy).HasMaxLength(256);
            sessionEvent.Property(e => e.Type).HasMaxLength(32);
            sessionEvent.HasOne<SessionRecord>().WithMany().HasForeignKey(e => e.SessionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<IdempotencyRecord>(key =>
        {
            key.ToTable("idempotency_keys");
            key.HasKey(k => new { k.TenantId, k.Scope, k.Key });
            key.Property(k => k.TenantId).HasMaxLength(64);
            key.Property(k => k.Scope).HasMaxLength(128);
            key.Property(k => k.Key).HasMaxLength(256);
            key.Property(k => k.RequestHash).HasMaxLength(64);
            key.HasIndex(k => k.ExpiresAt);
        });

        modelBuilder.Entity<ToolMemoryRecord>(memory =>
        {
            memory.ToTable("tool_memory");
            memory.HasKey(m => new { m.SessionId, m.Key });
            memory.Property(m => m.Key).HasMaxLength(128);
            memory.Property(m => m.TenantId).HasMaxLength(64);
            memory.HasOne<SessionRecord>().WithMany().HasForeignKey(m => m.SessionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<QueuedInputRecord>(input =>
        {
            input.ToTable("queued_inputs");
            input.HasKey(i => i.Id);
            input.Property(i => i.TenantId).HasMaxLength(64);
            input.Property(i => i.CreatedBy).HasMaxLength(256);
            input.HasIndex(i => new { i.SessionId, i.Id });
            input.HasOne<SessionRecord>().WithMany().HasForeignKey(i => i.SessionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<TenantRecord>(tenant =>
        {
            tenant.ToTable("tenants");
            tenant.HasKey(t => t.Id);
            tenant.Property(t => t.Id).HasMaxLength(64);
            tenant.Property(t => t.Name).HasMaxLength(256);
        });

        modelBuilder.Entity<ApiKeyRecord>(key =>
        {
            key.ToTable("api_keys");
            key.HasKey(k => k.Id);
            key.Property(k => k.TenantId).HasMaxLength(64);
            key.Property(k => k.Name).HasMaxLength(128);
            key.Property(k => k.Prefix).HasMaxLength(32);
            key.Property(k => k.SecretHash).HasMaxLength(32);
            key.Property(k => k.Scopes).HasMaxLength(1024);
            key.Property(k => k.CreatedBy).HasMaxLength(256);
            // Every authenticated request finds its key by prefix.
            key.HasIndex(k => k.Prefix).IsUnique();
            key.HasIndex(k => new { k.TenantId, k.CreatedAt });
            key.HasOne<TenantRecord>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}

/// <summary>The embedded store: a SQLite file.</summary>
public sealed class SqliteSessionDbContext(DbContextOptions<SqliteSessionDbContext> options) : SessionDbContext(options);

/// <summary>The server store: PostgreSQL.</summary>
public sealed class PostgresSessionDbContext(DbContextOptions<PostgresSessionDbContext> options) : SessionDbContext(options);

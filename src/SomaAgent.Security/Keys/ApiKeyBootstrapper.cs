using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security.Access;
using SomaAgent.Security.Identity;

namespace SomaAgent.Security.Keys;

/// <summary>How the first credential comes to exist.</summary>
public sealed class ApiKeyBootstrapOptions
{
    /// <summary>
    /// The secret of the default tenant's platform-admin key (<c>SOMAAGENT_BOOTSTRAP_KEY</c>), at least 32
    /// characters. Optional. Changing it rotates the key: the old secret stops working at the next start.
    /// </summary>
    public string? BootstrapKey { get; set; }

    public const string GeneratedKeyFileName = "bootstrap-key.txt";

    /// <summary>Whether to generate a bootstrap key (written once to <see cref="GeneratedKeyFile"/>) when none is configured and none exists yet.</summary>
    public bool GenerateWhenMissing { get; set; }

    /// <summary>
    /// Where a generated key is written, readable by the service's user only (default <c>bootstrap-key.txt</c> in the
    /// data directory). Never to the log: logs are exported (OTLP) and kept far longer than a secret should be.
    /// </summary>
    public string? GeneratedKeyFile { get; set; }

    /// <summary>The tenant the bootstrap key belongs to. Default <c>default</c>.</summary>
    public string DefaultTenant { get; set; } = "default";
}

/// <summary>
/// Runs after the schema migration: makes sure the default tenant exists and holds the bootstrap key.
/// Idempotent across restarts and replicas.
/// </summary>
public sealed partial class ApiKeyBootstrapper(
    IDbContextFactory<SessionDbContext> dbFactory,
    IOptions<ApiKeyBootstrapOptions> options,
    IAccessChecker access,
    TimeProvider time,
    ILogger<ApiKeyBootstrapper> logger) : IHostedService
{
    public const string CreatedBy = "bootstrap";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        if (!await db.Tenants.AnyAsync(t => t.Id == settings.DefaultTenant, cancellationToken))
        {
            db.Tenants.Add(new TenantRecord { Id = settings.DefaultTenant, Name = "Default tenant", CreatedAt = now });
            await SaveIgnoringRaceAsync(db, cancellationToken);
        }

        var current = await db.ApiKeys
            .Where(k => k.TenantId == settings.DefaultTenant && k.CreatedBy == CreatedBy && k.RevokedAt == null)
            .ToListAsync(cancellationToken);

        string secret;
        string? prefix;
        if (settings.BootstrapKey is { } configured)
        {
            prefix = ApiKeySecret.PrefixOf(configured);
            var existing = await db.ApiKeys.FirstOrDefaultAsync(k => k.Prefix == prefix, cancellationToken);
            if (existing is not null && (!ApiKeySecret.Matches(configured, existing.SecretHash) || existing.TenantId != settings.DefaultTenant || existing.CreatedBy != CreatedBy))
            {
                throw new InvalidOperationException(
                    "SOMAAGENT_BOOTSTRAP_KEY is, or shares the prefix of, a key that is not the bootstrap key; choose another value (for example `openssl rand -base64 32`).");
            }
            // Rotation: the other bootstrap secrets stop working now.
            foreach (var old in current.Where(k => k.Id != existing?.Id))
            {
                old.RevokedAt = now;
            }
            if (existing is not null)
            {
                // The configured key existed already (this start is a restart, or the operator went back to it).
                existing.RevokedAt = null;
                await SaveIgnoringRaceAsync(db, cancellationToken);
                return;
            }
            secret = configured;
        }
        else if (settings.GenerateWhenMissing && current.Count == 0)
        {
            (secret, prefix) = ApiKeySecret.Generate();
        }
        else
        {
            return;
        }

        var keyId = Guid.CreateVersion7();
        await access.GrantAsync(settings.DefaultTenant, ResourceRef.ApiKey(keyId), cancellationToken);
        db.ApiKeys.Add(new ApiKeyRecord
        {
            Id = keyId,
            TenantId = settings.DefaultTenant,
            Name = "bootstrap",
            Prefix = prefix ?? throw new InvalidOperationException("The bootstrap key is not a valid key."),
            SecretHash = ApiKeySecret.Hash(secret),
            Scopes = ApiKeyScopes.Join(ApiKeyScopes.All),
            CreatedBy = CreatedBy,
            CreatedAt = now,
        });
        if (await SaveIgnoringRaceAsync(db, cancellationToken) && settings.BootstrapKey is null)
        {
            var file = Path.GetFullPath(settings.GeneratedKeyFile ?? ApiKeyBootstrapOptions.GeneratedKeyFileName);
            await WriteUserOnlyAsync(file, secret + Environment.NewLine, cancellationToken);
            LogGeneratedKey(file, settings.DefaultTenant);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Saves; false when another replica saved the same row first.</summary>
    private static async Task<bool> SaveIgnoringRaceAsync(SessionDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>Writes <paramref name="content"/> to a new file only its owner can read (0600 on Unix), replacing none.</summary>
    private static async Task WriteUserOnlyAsync(string path, string content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using var file = new FileStream(path, options);
        await using var writer = new StreamWriter(file);
        await writer.WriteAsync(content.AsMemory(), cancellationToken);
    }

    // Says where the operator's first key is, never the key: the log is exported (OTLP) and kept.
    [LoggerMessage(EventId = 5001, EventName = "BootstrapKeyGenerated", Level = LogLevel.Warning,
        Message = "No SOMAAGENT_BOOTSTRAP_KEY was set, so a platform-admin API key was generated for tenant '{Tenant}' "
            + "and written to {File} (readable by this user only). Sign in with it, create your own keys, then delete the file.")]
    private partial void LogGeneratedKey(string file, string tenant);
}

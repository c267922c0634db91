using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Registry.Storage;
using SomaAgent.Runtime.Storage;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Registry;

/// <summary>
/// The registry keeps its own tables and migrations beside the session store, in the same database: a store
/// created before the registry had tables gains them in place, on either provider.
/// </summary>
public abstract class RegistryStoreTests : IAsyncLifetime
{
    private GatewayApp _gateway = null!;
    private RegistryApp _registry = null!;
    private string? _postgres;
    private string _key = null!;
    private List<string> _storeMigrationsBefore = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected IServiceProvider RegistryServices => _registry.Services;

    /// <summary>A gateway on a new store of the provider, and the registry's connection to the same database.</summary>
    protected abstract Task<(GatewayApp Gateway, string? Postgres)> StartGatewayAsync();

    public async ValueTask InitializeAsync()
    {
        // The store as the gateway alone leaves it (no registry tables yet), with a tenant and a key in it.
        (_gateway, _postgres) = await StartGatewayAsync();
        var (_, admin) = await CreateTenantAsync(_gateway);
        _key = SecretOf(await CreateKeyAsync(_gateway, admin, ["sessions:read"]));
        _storeMigrationsBefore = await AppliedAsync<SessionDbContext>(_gateway.Services);

        _registry = new RegistryApp(_gateway.DatabaseFile, _postgres);
        _ = _registry.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _registry.DisposeAsync();
        await _gateway.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Keys_of_the_store_work_at_the_registry_after_its_tables_were_added()
    {
        using var client = _registry.CreateClientWith(_key);

        using var response = await client.GetAsync("/v1/me", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_registry_migrations_are_recorded_apart_from_the_session_stores()
    {
        var registry = await AppliedAsync<RegistryDbContext>(_registry.Services);
        var store = await AppliedAsync<SessionDbContext>(_registry.Services);

        registry.ShouldBe(MigrationsOf<RegistryDbContext>(_registry.Services));
        store.ShouldBe(_storeMigrationsBefore);
        store.Intersect(registry).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_capsule_name_is_stored_and_read_back_with_its_owner_in_UTC()
    {
        var factory = _registry.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>();
        var created = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        await using (var db = await factory.CreateDbContextAsync(Ct))
        {
            db.Capsules.Add(new CapsuleRecord { Name = "weather-bot", OwnerTenantId = "acme", CreatedBy = "key-1", CreatedAt = created });
            await db.SaveChangesAsync(Ct);
        }

        await using var read = await factory.CreateDbContextAsync(Ct);
        var capsule = await read.Capsules.SingleAsync(c => c.Name == "weather-bot", Ct);

        capsule.OwnerTenantId.ShouldBe("acme");
        capsule.CreatedAt.ShouldBe(created);
        capsule.CreatedAt.Kind.ShouldBe(DateTimeKind.Utc);
    }

    [Fact]
    public async Task Starting_the_registry_again_applies_nothing_twice()
    {
        var before = await AppliedAsync<RegistryDbContext>(_registry.Services);

        await using var again = new RegistryApp(_gateway.DatabaseFile, _postgres);
        _ = again.Server;

        (await AppliedAsync<RegistryDbContext>(again.Services)).ShouldBe(before);
    }

    protected static async Task<List<string>> AppliedAsync<TContext>(IServiceProvider services) where TContext : DbContext
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContextAsync(Ct);
        return [.. await db.Database.GetAppliedMigrationsAsync(Ct)];
    }

    private static List<string> MigrationsOf<TContext>(IServiceProvider services) where TContext : DbContext
    {
        using var db = services.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext();
        return [.. db.Database.GetMigrations()];
    }
}

public sealed class SqliteRegistryStoreTests : RegistryStoreTests
{
    protected override Task<(GatewayApp Gateway, string? Postgres)> StartGatewayAsync()
    {
        var gateway = new GatewayApp();
        _ = gateway.Server;
        return Task.FromResult<(GatewayApp, string?)>((gateway, null));
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRegistryStoreTests(PostgresServer server) : RegistryStoreTests
{
    protected override async Task<(GatewayApp Gateway, string? Postgres)> StartGatewayAsync()
    {
        var database = await server.CreateDatabaseAsync("registry", Ct);
        var gateway = new GatewayApp(postgres: database);
        _ = gateway.Server;
        return (gateway, database);
    }

    [Fact]
    public async Task The_registry_tables_live_in_their_own_schema()
    {
        await using var db = await RegistryServices.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync(Ct);

        var tables = await db.Database
            .SqlQuery<string>($"SELECT table_schema || '.' || table_name AS \"Value\" FROM information_schema.tables WHERE table_name IN ('capsules', '__EFMigrationsHistory')")
            .ToListAsync(Ct);

        tables.ShouldBe(["registry.capsules", "registry.__EFMigrationsHistory", "public.__EFMigrationsHistory"], ignoreOrder: true);
    }
}

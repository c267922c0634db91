using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Runtime.Storage;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>
/// Verified keys are cached briefly, and a revocation still holds at once on the gateway that made it and within a
/// second on every other gateway of the deployment (two gateways on one store here).
/// </summary>
public sealed class ApiKeyCacheTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private GatewayApp _first = null!;
    private GatewayApp _second = null!;

    public ValueTask InitializeAsync()
    {
        _first = new GatewayApp();
        // The same database; its own audit log (one writer per file).
        _second = new GatewayApp(_first.DatabaseFile, settings: new Dictionary<string, string?>
        {
            ["SomaAgent:Audit:Path"] = Path.Combine(Path.GetDirectoryName(_first.DatabaseFile)!, "audit-second.jsonl"),
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_once_where_it_was_revoked_and_within_a_second_on_the_other_gateway()
    {
        var (_, admin) = await CreateTenantAsync(_first);
        var created = await CreateKeyAsync(_first, admin, ["sessions:read"]);
        var secret = SecretOf(created);
        using var onFirst = _first.CreateClientWith(secret);
        using var onSecond = _second.CreateClientWith(secret);
        (await onFirst.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await onSecond.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var adminClient = _first.CreateClientWith(admin);
        (await adminClient.DeleteAsync($"/v1/keys/{IdOf(created)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await ShouldBeUnauthorizedAsync(await onFirst.GetAsync("/v1/sessions", Ct))).ShouldContain("revoked");
        (await ShouldBeUnauthorizedWithinAsync(onSecond, "/v1/sessions", TimeSpan.FromSeconds(1))).ShouldContain("revoked");
    }

    [Fact]
    public async Task A_verified_key_is_not_read_from_the_store_again_on_every_request()
    {
        var (_, admin) = await CreateTenantAsync(_first);
        var created = await CreateKeyAsync(_first, admin, ["sessions:read"]);
        using var client = _first.CreateClientWith(SecretOf(created));
        (await client.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The stored hash no longer matches: only a cached verification lets the next request in.
        await using (var db = await _first.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>().CreateDbContextAsync(Ct))
        {
            await db.ApiKeys.Where(k => k.Id == IdOf(created)).ExecuteUpdateAsync(s => s.SetProperty(k => k.SecretHash, new byte[32]), Ct);
        }

        (await client.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var other = _second.CreateClientWith(SecretOf(created));
        (await other.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}

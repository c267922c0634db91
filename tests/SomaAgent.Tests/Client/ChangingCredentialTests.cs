using SomaAgent.Client;
using SomaAgent.Client.Keys;
using SomaAgent.Client.Sessions;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Client;

/// <summary>
/// A credential that changes while the client lives (an OIDC access token its holder refreshes): the SDK asks for it
/// before every request, the event stream's too, so no request goes out with a token that was replaced.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ChangingCredentialTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_request_sends_the_credential_current_when_it_is_sent()
    {
        var admin = Client(_ => ValueTask.FromResult(GatewayApp.BootstrapKey));
        var second = await admin.Keys.CreateAsync(new CreateKeyRequest("rotated-" + Guid.NewGuid().ToString("N")[..8], [Scopes.SessionsRead]), Ct);
        var current = GatewayApp.BootstrapKey;
        var client = Client(_ => ValueTask.FromResult(current));

        var before = await client.GetCallerAsync(Ct);
        current = second.Secret;
        var after = await client.GetCallerAsync(Ct);

        before.Scopes.ShouldContain(Scopes.PlatformAdmin);
        after.KeyName.ShouldBe(second.Key.Name);
        after.Scopes.ShouldBe([Scopes.SessionsRead]);
    }

    [Fact]
    public async Task An_event_stream_asks_for_the_credential_when_it_opens()
    {
        var asked = 0;
        var client = Client(_ =>
        {
            Interlocked.Increment(ref asked);
            return ValueTask.FromResult(GatewayApp.BootstrapKey);
        });
        var created = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "hello" }, cancellationToken: Ct);
        var beforeStream = asked;

        await foreach (var _ in client.Sessions.StreamEventsAsync(created.Id, cancellationToken: Ct))
        {
        }

        beforeStream.ShouldBe(1);
        asked.ShouldBe(2);
    }

    private SomaAgentClient Client(Func<CancellationToken, ValueTask<string>> credential) =>
        // No Authorization header on the HttpClient: every request's comes from the credential source.
        new(new HttpClient(gateway.App.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost/") },
            new SomaAgentClientOptions { Credential = credential });
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Engine.Conversations;
using SomaAgent.Gateway.Capsules;
using SomaAgent.Runtime.Sessions;

namespace SomaAgent.Tests.Gateway.Registry;

/// <summary>
/// A posted message asks the Registry how its session's capsule stands, but a Registry that accepts the connection and
/// never answers holds the message up for <see cref="SessionCapsules.StandingCheckTimeout"/> at most, not for the
/// HTTP client's own timeouts (30 s in total), and the session is not flagged for it.
/// </summary>
public sealed class CapsuleStandingTimeoutTests : IAsyncDisposable
{
    private readonly TcpListener _silentRegistry = new(IPAddress.Loopback, 0);
    private readonly System.Collections.Concurrent.ConcurrentBag<TcpClient> _held = [];
    private readonly GatewayApp _gateway;

    public CapsuleStandingTimeoutTests()
    {
        _silentRegistry.Start();
        _ = HoldConnectionsAsync();
        _gateway = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["services:registry:http:0"] = $"http://127.0.0.1:{((IPEndPoint)_silentRegistry.LocalEndpoint).Port}",
            ["SOMAAGENT_INTERNAL_SECRET"] = ForwardingGateway.InternalSecret,
        });
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_registry_that_never_answers_holds_a_message_up_for_the_standing_check_timeout_at_most()
    {
        using var client = _gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayApp.BootstrapKey);
        using var created = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        await _gateway.WaitForEndAsync(id, Ct);
        var capsule = new SessionCapsule("weather", "1.0.0", "sha256:" + new string('a', 64), Guid.CreateVersion7(), ["calculator"]);
        (await _gateway.Services.GetRequiredService<SessionTurns>().AttachCapsuleAsync(id, "default", capsule, null, Ct)).ShouldBeOfType<AttachOutcome.Attached>();

        var clock = Stopwatch.StartNew();
        using var posted = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "What is 6*7?" }, GatewayApp.Json, Ct);
        clock.Stop();

        posted.StatusCode.ShouldBe(HttpStatusCode.Accepted, await posted.Content.ReadAsStringAsync(Ct));
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(SessionCapsules.StandingCheckTimeout - TimeSpan.FromMilliseconds(100), "the Registry was not asked");
        clock.Elapsed.ShouldBeLessThan(SessionCapsules.StandingCheckTimeout + TimeSpan.FromSeconds(8));
        var session = await _gateway.WaitForEndAsync(id, Ct, turn: 2);
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("capsule").GetProperty("flagged").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _silentRegistry.Stop();
        foreach (var connection in _held)
        {
            connection.Dispose();
        }
    }

    /// <summary>Accepts every connection and never reads or answers on it.</summary>
    private async Task HoldConnectionsAsync()
    {
        try
        {
            while (true)
            {
                _held.Add(await _silentRegistry.AcceptTcpClientAsync());
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}

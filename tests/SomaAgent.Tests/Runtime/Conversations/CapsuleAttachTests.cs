using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Engine.Conversations;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Conversations;

/// <summary>A capsule is taken on between turns, never into a turn that is queued or running.</summary>
public sealed class CapsuleAttachTests : IAsyncLifetime
{
    private readonly GatewayApp _app = GatewayApp.SlowModel();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _ = _app.Server;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Attaching_while_a_turn_runs_is_a_conflict_and_changes_nothing()
    {
        var id = await _app.CreateSessionAsync(new { input = GatewayApp.LongInput }, Ct);
        await _app.WaitForOutputAsync(id, Ct);
        var turns = _app.Services.GetRequiredService<SessionTurns>();
        var capsule = new SessionCapsule("weather", "1.0.0", "sha256:" + new string('a', 64), Guid.CreateVersion7(), ["clock"]);

        var outcome = await turns.AttachCapsuleAsync(id, "default", capsule, "You are the weather desk.", Ct);

        outcome.ShouldBeOfType<AttachOutcome.Conflict>().Status.ShouldBeOneOf(SessionStatus.Running, SessionStatus.Queued);
        var session = await _app.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(60));
        session.GetProperty("capsule").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        session.GetProperty("events").EnumerateArray().ShouldNotContain(e => e.GetProperty("type").GetString() == "capsule.attached");
    }

    [Fact]
    public async Task Attaching_to_another_tenants_session_finds_nothing()
    {
        var id = await _app.CreateSessionAsync(new { input = "hi" }, Ct);
        var turns = _app.Services.GetRequiredService<SessionTurns>();
        var capsule = new SessionCapsule("weather", "1.0.0", "sha256:" + new string('a', 64), Guid.CreateVersion7(), ["clock"]);

        (await turns.AttachCapsuleAsync(id, "someone-else", capsule, null, Ct)).ShouldBeOfType<AttachOutcome.NotFound>();
    }
}

using SomaAgent.Capsules;
using SomaAgent.Client;
using SomaAgent.Client.Sessions;

namespace SomaAgent.Cli;

/// <summary>One declared test of a capsule, as it went.</summary>
internal sealed record CapsuleTestOutcome(
    string Name, string Prompt, Guid? SessionId, string Status, bool Passed, IReadOnlyList<string> Failures, string Answer, IReadOnlyList<string> ToolsCalled);

/// <summary>What <c>soma capsule test --json</c> prints.</summary>
internal sealed record CapsuleTestReport(string Capsule, int Passed, int Failed, IReadOnlyList<CapsuleTestOutcome> Tests);

/// <summary>
/// Runs a capsule's declared tests: each prompt opens a new session that takes the capsule on, and its turn must end
/// completed with what the test expects. The capsule is the folder's <c>capsule.yaml</c> as a draft (not yet
/// published), or, with <paramref name="installed"/>, that installed version (<c>name@version</c>).
/// </summary>
internal sealed class CapsuleTesting(SomaAgentClient client, string manifestYaml, string? installed, string? model, TimeSpan timeout)
{
    public async Task<CapsuleTestOutcome> RunAsync(CapsuleTest test, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(test);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        Guid? sessionId = null;
        try
        {
            var created = await client.Sessions.CreateAsync(
                new CreateSessionRequest { Input = test.Prompt, CapsuleDraft = installed is null ? manifestYaml : null, Capsule = installed, Model = model }, cancellationToken: bounded.Token);
            sessionId = created.Id;
            var turn = await TurnReader.ReadAsync(client, created.Id, onEvent: null, bounded.Token);
            var failures = Judge(test.Expect, turn);
            return new CapsuleTestOutcome(test.Title, test.Prompt, created.Id, turn.Status, failures.Count == 0, failures, turn.Answer, turn.ToolsCalled);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (sessionId is { } id)
            {
                // Leave nothing running behind a test that gave up on it.
                await TryCancelAsync(id, cancellationToken);
            }
            return new CapsuleTestOutcome(test.Title, test.Prompt, sessionId, "timed_out", false,
                [$"the turn did not end within {timeout.TotalSeconds:0} s (--timeout)"], "", []);
        }
    }

    /// <summary>Why the turn does not show what the test expects; empty when it does.</summary>
    public static IReadOnlyList<string> Judge(CapsuleExpectation expect, TurnResult turn)
    {
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(turn);
        var failures = new List<string>();
        if (!turn.Completed)
        {
            failures.Add($"the turn ended {turn.Status}{(turn.Reason is null ? "" : $": {turn.Reason}")}");
        }
        foreach (var text in (expect.Contains ?? []).Where(t => !turn.Answer.Contains(t, StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add($"the answer does not contain \"{text}\"");
        }
        foreach (var tool in (expect.Tools ?? []).Where(t => !turn.ToolsCalled.Contains(t, StringComparer.Ordinal)))
        {
            failures.Add($"the tool {tool} was not called (called: {(turn.ToolsCalled.Count == 0 ? "none" : string.Join(", ", turn.ToolsCalled.Distinct()))})");
        }
        return failures;
    }

    private async Task TryCancelAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        try
        {
            await client.Sessions.CancelAsync(sessionId, cancellationToken);
        }
        catch (Exception ex) when (ex is SomaAgentProblemException or HttpRequestException)
        {
            // The turn ended meanwhile, or the gateway is away: nothing is left to cancel from here.
        }
    }
}

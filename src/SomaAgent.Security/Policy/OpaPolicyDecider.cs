using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime;

namespace SomaAgent.Security.Policy;

/// <summary>
/// Asks OPA's data API: <c>POST {OPA_URL}/v1/data/somaagent/authz</c> with <c>{"input": …}</c>, reading
/// <c>result.allow</c> and <c>result.reason</c>. One attempt per decision, bounded by
/// <see cref="PolicyOptions.TimeoutMilliseconds"/> and never retried (a retry would multiply the latency every
/// request pays); the client carries none of the default resilience handlers. An answer without
/// <c>result</c> (the policy is not loaded) is a denial, "policy undefined". A timeout, a connection failure,
/// a non-2xx status or a body that is not a decision is <see cref="PolicyOutcome.Unavailable"/>.
/// </summary>
public sealed partial class OpaPolicyDecider(
    IHttpClientFactory clients, IOptions<PolicyOptions> options, TimeProvider time, ILogger<OpaPolicyDecider> logger) : IPolicyDecider
{
    /// <summary>Name of the HTTP client.</summary>
    public const string ClientName = "opa";

    /// <summary>The decision document, relative to OPA's address.</summary>
    public const string DecisionPath = "v1/data/somaagent/authz";

    public const string UndefinedReason = "policy undefined";

    public async Task<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var timeout = TimeSpan.FromMilliseconds(options.Value.TimeoutMilliseconds);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var started = Stopwatch.GetTimestamp();
        var decision = await AskAsync(input, timeout, linked.Token, cancellationToken);
        RuntimeDiagnostics.PolicyDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
            new("decider", "opa"), new("outcome", OutcomeTag(decision.Outcome)));
        if (decision.Outcome == PolicyOutcome.Unavailable)
        {
            LogUnavailable(input.Kind, decision.Reason);
        }
        return decision;
    }

    private static string OutcomeTag(PolicyOutcome outcome) => outcome switch
    {
        PolicyOutcome.Allow => "allow",
        PolicyOutcome.Deny => "deny",
        _ => "unavailable",
    };

    private async Task<PolicyDecision> AskAsync(PolicyInput input, TimeSpan timeout, CancellationToken token, CancellationToken callerToken)
    {
        try
        {
            using var client = clients.CreateClient(ClientName);
            using var response = await client.PostAsJsonAsync(DecisionPath, new OpaRequest(input), PolicyJsonContext.Default.OpaRequest, token);
            if (!response.IsSuccessStatusCode)
            {
                return PolicyDecision.Unavailable($"OPA answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
            await using var body = await response.Content.ReadAsStreamAsync(token);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: token);
            return Read(document.RootElement);
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            return PolicyDecision.Unavailable($"OPA did not answer within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (HttpRequestException ex)
        {
            LogUnreachable(ex);
            return PolicyDecision.Unavailable("OPA could not be reached.");
        }
        catch (JsonException)
        {
            return PolicyDecision.Unavailable("OPA answered something that is not JSON.");
        }
    }

    /// <summary>Reads OPA's answer: <c>{"result": {"allow": bool, "reason": "…"}}</c>, or <c>{}</c> when undefined.</summary>
    public static PolicyDecision Read(JsonElement answer)
    {
        if (answer.ValueKind != JsonValueKind.Object)
        {
            return PolicyDecision.Unavailable("OPA answered something that is not a decision.");
        }
        if (!answer.TryGetProperty("result", out var result))
        {
            return PolicyDecision.Deny(UndefinedReason);
        }
        if (result.ValueKind != JsonValueKind.Object
            || !result.TryGetProperty("allow", out var allow) || allow.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return PolicyDecision.Unavailable("OPA answered something that is not a decision (no boolean result.allow).");
        }
        var reason = result.TryGetProperty("reason", out var text) && text.ValueKind == JsonValueKind.String && text.GetString() is { Length: > 0 } given
            ? given
            : allow.GetBoolean() ? "allowed by policy" : "denied by policy";
        return allow.GetBoolean() ? PolicyDecision.Allow(reason) : PolicyDecision.Deny(reason);
    }

    [LoggerMessage(EventId = 5100, EventName = "PolicyUnavailable", Level = LogLevel.Warning,
        Message = "The policy engine gave no decision for a {Kind}: {Reason}")]
    private partial void LogUnavailable(string kind, string reason);

    [LoggerMessage(EventId = 5101, EventName = "PolicyUnreachable", Level = LogLevel.Debug, Message = "OPA could not be reached")]
    private partial void LogUnreachable(Exception exception);
}

[JsonSerializable(typeof(OpaRequest))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;

/// <summary>The body of OPA's data API: <c>{"input": …}</c>.</summary>
internal sealed record OpaRequest([property: JsonPropertyName("input")] PolicyInput Input);

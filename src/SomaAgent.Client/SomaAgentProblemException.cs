using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Client;

/// <summary>
/// The API answered with an error (RFC 7807 problem+json): branch on <see cref="Type"/>, show <see cref="Detail"/>,
/// quote <see cref="TraceId"/> when asking the operator.
/// </summary>
public sealed class SomaAgentProblemException : Exception
{
    public SomaAgentProblemException(HttpStatusCode status, string type, string? title, string? detail, string? traceId,
        IReadOnlyDictionary<string, string[]>? errors = null)
        : base($"{(int)status} {title ?? status.ToString()}: {detail ?? type}")
    {
        Status = status;
        Type = type;
        Title = title;
        Detail = detail;
        TraceId = traceId;
        Errors = errors ?? new Dictionary<string, string[]>();
    }

    public HttpStatusCode Status { get; }

    /// <summary>The problem's stable type, e.g. <c>urn:somaagent:problem:turn-in-progress</c>.</summary>
    public string Type { get; }

    public string? Title { get; }

    /// <summary>What exactly went wrong and how to fix it.</summary>
    public string? Detail { get; }

    /// <summary>The trace id that finds the request in the platform's logs and traces.</summary>
    public string? TraceId { get; }

    /// <summary>For a validation problem: each bad field and what is wrong with it.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The problem of an unsuccessful response: its problem+json, or what the response says otherwise.</summary>
    internal static async Task<SomaAgentProblemException> FromAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var problem = JsonSerializer.Deserialize(body, ClientJsonContext.Default.ProblemBody);
            if (problem?.Type is { } type)
            {
                return new SomaAgentProblemException(response.StatusCode, type, problem.Title, problem.Detail, problem.TraceId, problem.Errors);
            }
        }
        catch (JsonException)
        {
        }
        var trace = response.Headers.TryGetValues("traceparent", out var values) ? values.FirstOrDefault() : null;
        return new SomaAgentProblemException(response.StatusCode, "about:blank", response.ReasonPhrase,
            body.Length == 0 ? null : body[..Math.Min(body.Length, 500)], trace);
    }
}

/// <summary>problem+json as the platform writes it.</summary>
internal sealed record ProblemBody(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("trace_id")] string? TraceId,
    [property: JsonPropertyName("errors")] Dictionary<string, string[]>? Errors);

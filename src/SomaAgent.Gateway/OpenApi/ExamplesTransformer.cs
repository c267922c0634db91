using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using SomaAgent.Gateway.Catalog;
using SomaAgent.Gateway.Sessions;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// Puts examples on request bodies and JSON success responses, chosen by the CLR type each one carries, and
/// serialized with the API's own JSON options (so they are snake_case like the wire). Success responses also
/// get a description that says what they mean rather than the status phrase.
/// </summary>
internal sealed class ExamplesTransformer(IOptions<JsonOptions> json) : IOpenApiOperationTransformer
{
    private readonly JsonSerializerOptions _responses = json.Value.SerializerOptions;
    private readonly JsonSerializerOptions _requests = new(json.Value.SerializerOptions) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var body = context.Description.ParameterDescriptions.FirstOrDefault(p => p.Source == BindingSource.Body);
        if (body is not null && operation.RequestBody?.Content?.TryGetValue(OpenApiNames.Json, out var request) == true)
        {
            var examples = OpenApiExamples.Requests(body.Type);
            if (examples.Count > 0)
            {
                request.Examples = examples.ToDictionary(
                    e => e.Name,
                    e => (IOpenApiExample)new OpenApiExample { Summary = e.Summary, Value = JsonSerializer.SerializeToNode(e.Value, body.Type, _requests) },
                    StringComparer.Ordinal);
            }
        }

        foreach (var declared in context.Description.SupportedResponseTypes)
        {
            var code = declared.StatusCode.ToString(CultureInfo.InvariantCulture);
            if (declared.Type is not { } type
                || operation.Responses?.TryGetValue(code, out var found) != true
                || found is not OpenApiResponse response
                || response.Content?.TryGetValue(OpenApiNames.Json, out var media) != true
                || media is null)
            {
                continue;
            }
            var example = declared.StatusCode == StatusCodes.Status503ServiceUnavailable && type == typeof(HealthReportDto)
                ? OpenApiExamples.Unhealthy()
                : OpenApiExamples.Response(type);
            if (example is not null)
            {
                media.Example = JsonSerializer.SerializeToNode(example, type, _responses);
            }
            response.Description = Describe(type, declared.StatusCode) ?? response.Description;
        }
        return Task.CompletedTask;
    }

    private static string? Describe(Type type, int status) => type switch
    {
        _ when type == typeof(SessionCreated) => "The session is stored and its first turn queued; `Location` is the session's URL. A retry with the same `Idempotency-Key` and body answers the same session with `Idempotent-Replayed: true`.",
        _ when type == typeof(TurnAccepted) => "Accepted: the request is queued on the session's latest turn (`turn`). Follow it with `GET /v1/sessions/{id}` or the events stream.",
        _ when type == typeof(SessionDetail) => "The session with its whole transcript and the events after `after`.",
        _ when type == typeof(SessionPage) => "A page of the caller's sessions, newest first; `next_cursor` is null on the last page.",
        _ when type == typeof(ModelList) => "The models, in OpenAI's list shape.",
        _ when type == typeof(ToolList) => "The tools, each with the JSON schema of its arguments.",
        _ when type == typeof(HealthReportDto) && status == StatusCodes.Status503ServiceUnavailable => "At least one check is unhealthy; `checks` says which.",
        _ when type == typeof(HealthReportDto) => "Every check is healthy (or degraded but serving).",
        _ => null,
    };
}

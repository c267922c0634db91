using System.Globalization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// Makes every error response of an operation what the gateway really sends: <c>application/problem+json</c>
/// with the problem schema (the validation schema for 400), a description of when it happens and examples
/// with real problem types. Adds the 429 every /v1 route and the 500 every route can answer.
/// </summary>
internal sealed class ProblemResponsesTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Responses ??= [];
        var path = "/" + (context.Description.RelativePath ?? "").TrimEnd('/');
        if (path.StartsWith("/v1/", StringComparison.Ordinal))
        {
            operation.Responses.TryAdd("429", new OpenApiResponse());
            if (path != "/v1/health")
            {
                operation.Responses.TryAdd("401", new OpenApiResponse());
                operation.Responses.TryAdd("403", new OpenApiResponse());
            }
        }
        operation.Responses.TryAdd("500", new OpenApiResponse());

        foreach (var (code, existing) in operation.Responses)
        {
            if (!int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status < 400
                || existing is not OpenApiResponse response
                || (response.Content is { Count: > 0 } content && !content.ContainsKey(OpenApiNames.ProblemJson)))
            {
                continue;
            }
            var schemaId = status == StatusCodes.Status400BadRequest ? OpenApiNames.ValidationProblemSchema : OpenApiNames.ProblemSchema;
            response.Description = ProblemExamples.Describe(operation.OperationId, status);
            response.Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                [OpenApiNames.ProblemJson] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchemaReference(schemaId, context.Document),
                    Examples = ProblemExamples.For(operation.OperationId, status, path)
                        .ToDictionary(e => e.Name, e => (IOpenApiExample)new OpenApiExample { Summary = e.Summary, Value = e.Value }, StringComparer.Ordinal),
                },
            };
        }
        return Task.CompletedTask;
    }
}

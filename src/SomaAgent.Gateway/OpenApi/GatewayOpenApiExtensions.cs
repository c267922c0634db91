using SomaAgent.Gateway.OpenApi;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The gateway's OpenAPI document: generated from the routes, then completed by the transformers below.</summary>
public static class GatewayOpenApiExtensions
{
    /// <summary>
    /// Registers the <c>v1</c> document. The operation transformers run per route in this order (errors first,
    /// so the headers and examples land on every response), the document transformer runs last.
    /// </summary>
    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOpenApi(options => options
            .AddOperationTransformer<ProblemResponsesTransformer>()
            .AddOperationTransformer<ServerSentEventsTransformer>()
            .AddOperationTransformer<SomaAgent.Gateway.ChatCompletions.ChatCompletionsOpenApiTransformer>()
            .AddOperationTransformer<ExamplesTransformer>()
            .AddOperationTransformer<HeadersTransformer>()
            .AddDocumentTransformer<GatewayDocumentTransformer>()
            .AddDocumentTransformer<SecuritySchemesTransformer>());
        return services;
    }
}

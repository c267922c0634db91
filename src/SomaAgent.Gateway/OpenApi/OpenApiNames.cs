namespace SomaAgent.Gateway.OpenApi;

/// <summary>Names shared by the transformers: components, headers and media types.</summary>
internal static class OpenApiNames
{
    public const string ProblemSchema = "ProblemDetails";
    public const string ValidationProblemSchema = "ValidationProblemDetails";
    public const string SseItemSchema = "SseItemOfstring";
    public const string ApiVersionHeader = Microsoft.Extensions.DependencyInjection.GatewayExtensions.ApiVersionHeader;
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string IdempotentReplayedHeader = "Idempotent-Replayed";
    public const string LastEventIdHeader = "Last-Event-ID";
    public const string Json = "application/json";
    public const string ProblemJson = "application/problem+json";
    public const string EventStream = "text/event-stream";
}

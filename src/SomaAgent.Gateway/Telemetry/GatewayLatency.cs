using System.Diagnostics;
using System.Diagnostics.Metrics;
using SomaAgent.Security.Audit;

namespace SomaAgent.Gateway.Telemetry;

/// <summary>
/// <c>gateway_latency_seconds</c>: how long the gateway took to answer an API request, by route template, method and
/// status class. Measured to the start of the response, so an event stream counts the time until its first byte, not
/// the minutes it stays open. Only <c>/v1</c>: probes, scrapes and documents would drown what users wait for.
/// </summary>
/// <remarks>
/// One instrument per process, like <c>RuntimeDiagnostics</c>: OpenTelemetry merges instruments of the same name into
/// one stream, and a second host's meter (a test's) going away would end the stream of the first.
/// </remarks>
public static class GatewayLatency
{
    public const string MeterName = "SomaAgent.Gateway";
    public const string InstrumentName = "gateway.latency";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Latency = Meter.CreateHistogram(InstrumentName, unit: "s",
        description: "Time from a /v1 request arriving to its response starting, by route template, method and status class.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] });

    /// <summary>Times every <c>/v1</c> request; put it first, so refusals (401, 429) and failures (500) are timed too.</summary>
    public static IApplicationBuilder UseGatewayLatency(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
            {
                return next(http);
            }
            var started = Stopwatch.GetTimestamp();
            http.Response.OnStarting(() =>
            {
                Latency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                    new KeyValuePair<string, object?>("route", AuditRecorder.RouteTemplateOf(http)),
                    new KeyValuePair<string, object?>("method", http.Request.Method),
                    new KeyValuePair<string, object?>("status_class", StatusClass(http.Response.StatusCode)));
                return Task.CompletedTask;
            });
            return next(http);
        });

    // Constant strings: no allocation per request on the hot path.
    private static string StatusClass(int status) => (status / 100) switch
    {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
}

using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using SomaAgent.Client;
using SomaAgent.Client.Sessions;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Client;

/// <summary>
/// AddSomaAgentClient in a host that, as ServiceDefaults does, adds the standard resilience handler to every client:
/// one handler, not two; unsafe requests never repeated unless they carry an Idempotency-Key; event streams outside
/// the handler's total-request timeout. A scripted loopback server counts what reaches it.
/// </summary>
public sealed class ClientResilienceTests : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, int> _hits = new();
    private WebApplication _server = null!;
    private ServiceProvider _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = LoopbackHttpServer.Create();
        _server.MapPost("/v1/sessions", () => Count("create") == 1
            ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { id = Guid.CreateVersion7(), status = "queued", model = "m", created_at = DateTime.UtcNow }, statusCode: 201));
        _server.MapPost("/v1/sessions/{id}/cancel", () => Unavailable("cancel"));
        _server.MapGet("/v1/sessions", () => Unavailable("list"));
        _server.MapGet("/v1/sessions/{id}/events", async (HttpContext http) =>
        {
            // Slower than the host's total-request timeout (1 s), as a long turn is.
            http.Response.ContentType = "text/event-stream";
            for (var i = 1; i <= 3; i++)
            {
                await Task.Delay(600, http.RequestAborted);
                await http.Response.WriteAsync($"id: {i}\nevent: status\ndata: {{\"sequence\":{i},\"type\":\"status\",\"created_at\":\"2026-12-07T00:00:00Z\",\"turn\":1,\"data\":{{}}}}\n\n", http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        });
        var url = await _server.StartOnLoopbackAsync(Ct);

        var services = new ServiceCollection();
        services.AddLogging();
        // What ServiceDefaults does for every HttpClient of the host, with short timeouts so the test is quick.
        services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler(options =>
        {
            options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(1);
            options.AttemptTimeout.Timeout = TimeSpan.FromMilliseconds(500);
            options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(2);
            options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        }));
        services.AddSomaAgentClient(settings =>
        {
            settings.BaseAddress = url;
            settings.ApiKey = "sk-test-key";
        });
        services.Configure<HttpStandardResilienceOptions>(SomaAgentClientServiceCollectionExtensions.ApiClientName + "-standard",
            options => options.Retry.Delay = TimeSpan.FromMilliseconds(10));
        _services = services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_create_is_retried_because_it_carries_an_idempotency_key()
    {
        var client = _services.GetRequiredService<SomaAgentClient>();

        var created = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "hi" }, cancellationToken: Ct);

        created.Status.ShouldBe("queued");
        _hits["create"].ShouldBe(2);
    }

    [Fact]
    public async Task An_unsafe_request_without_a_key_is_never_repeated()
    {
        var client = _services.GetRequiredService<SomaAgentClient>();

        var problem = await Should.ThrowAsync<SomaAgentProblemException>(() => client.Sessions.CancelAsync(Guid.CreateVersion7(), Ct));

        problem.Status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        _hits["cancel"].ShouldBe(1);
    }

    [Fact]
    public async Task A_read_is_retried_by_one_handler_not_two()
    {
        var client = _services.GetRequiredService<SomaAgentClient>();

        await Should.ThrowAsync<SomaAgentProblemException>(() => client.Sessions.ListAsync(cancellationToken: Ct));

        // One standard handler: the first try and its 3 retries. Two nested handlers would make 16.
        _hits["list"].ShouldBe(4);
    }

    [Fact]
    public async Task An_event_stream_outlives_the_hosts_total_request_timeout()
    {
        var client = _services.GetRequiredService<SomaAgentClient>();

        var events = new List<SessionEvent>();
        await foreach (var item in client.Sessions.StreamEventsAsync(Guid.CreateVersion7(), cancellationToken: Ct))
        {
            events.Add(item);
        }

        events.Select(e => e.Sequence).ShouldBe([1L, 2L, 3L]);
    }

    [Theory]
    [InlineData("GET", false, true)]
    [InlineData("POST", true, true)]
    [InlineData("POST", false, false)]
    [InlineData("DELETE", false, false)]
    public void Only_reads_and_requests_with_an_idempotency_key_are_safe_to_repeat(string method, bool keyed, bool safe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "v1/x");
        if (keyed)
        {
            request.Headers.Add("Idempotency-Key", "k");
        }

        SomaAgentClientServiceCollectionExtensions.IsSafeToRepeat(request).ShouldBe(safe);
    }

    private int Count(string what) => _hits.AddOrUpdate(what, 1, (_, n) => n + 1);

    private IResult Unavailable(string what)
    {
        Count(what);
        return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SomaAgent.Security.Policy;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>How the fake answers the data API.</summary>
public enum OpaFakeMode
{
    /// <summary><c>{"result": {"allow": …, "reason": …}}</c>, evaluated from the policy data.</summary>
    Evaluate,

    /// <summary>500 with an OPA-style error body.</summary>
    ServerError,

    /// <summary>200 with a body that is not JSON.</summary>
    Garbage,

    /// <summary><c>{}</c>: what OPA answers when the document is undefined (no policy loaded).</summary>
    Undefined,
}

/// <summary>
/// OPA's REST data API as SomaAgent uses it, faithful to the documented shape: <c>POST /v1/data/somaagent/authz</c>
/// with <c>{"input": …}</c> answers <c>{"result": …}</c>. There is no Rego evaluator on this machine, so the result
/// comes from the services' built-in evaluator over the same policy data (the shipped deploy/policies/data.json
/// unless told otherwise); authz.rego is written to be its line-by-line twin. A request whose body is not
/// <c>{"input": {…every input field…}}</c> gets 400, as OPA answers malformed input, and is counted in
/// <see cref="ShapeErrors"/>. Kestrel on 127.0.0.1, port 0. Switches: <see cref="Delay"/>, <see cref="Mode"/>,
/// <see cref="StopAsync"/>.
/// </summary>
public sealed class OpaFake : IAsyncDisposable
{
    /// <summary>Every field <see cref="PolicyInput"/> always sends.</summary>
    public static readonly string[] InputFields =
        ["kind", "subject", "tenant", "scopes", "method", "route", "resource", "tool", "capsule", "model", "session"];

    private readonly WebApplication _app;
    private readonly PolicyRuleSet _rules;
    private readonly ConcurrentQueue<JsonElement> _inputs = new();
    private int _requests;
    private int _shapeErrors;
    private bool _stopped;

    private OpaFake(WebApplication app, PolicyRuleSet rules)
    {
        _app = app;
        _rules = rules;
    }

    /// <summary>The base address to give as <c>OPA_URL</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>How long each answer waits before it is written. Default none.</summary>
    public TimeSpan Delay { get; set; }

    public OpaFakeMode Mode { get; set; } = OpaFakeMode.Evaluate;

    /// <summary>Requests received on the decision path.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests whose body was not the documented shape.</summary>
    public int ShapeErrors => Volatile.Read(ref _shapeErrors);

    /// <summary>Every well-formed input received, in order.</summary>
    public IReadOnlyList<JsonElement> Inputs => [.. _inputs];

    public static async Task<OpaFake> StartAsync(CancellationToken cancellationToken, PolicyRuleSet? rules = null)
    {
        var app = LoopbackHttpServer.Create();
        var fake = new OpaFake(app, rules ?? PolicyRuleSet.Shipped());
        app.MapPost("/v1/data/somaagent/authz", fake.AnswerAsync);
        fake.Url = (await app.StartOnLoopbackAsync(cancellationToken)).ToString().TrimEnd('/');
        return fake;
    }

    /// <summary>Stops listening: from now on connections are refused, as with an OPA that went away.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        JsonElement input;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (!IsWellFormed(document.RootElement))
            {
                Interlocked.Increment(ref _shapeErrors);
                await WriteAsync(context, 400, """{"code":"invalid_parameter","message":"body must be {\"input\": {…every field…}}"}""");
                return;
            }
            input = document.RootElement.GetProperty("input").Clone();
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref _shapeErrors);
            await WriteAsync(context, 400, """{"code":"invalid_parameter","message":"body is not JSON"}""");
            return;
        }
        _inputs.Enqueue(input);

        switch (Mode)
        {
            case OpaFakeMode.ServerError:
                await WriteAsync(context, 500, """{"code":"internal_error","message":"storage error"}""");
                return;
            case OpaFakeMode.Garbage:
                await WriteAsync(context, 200, "<html>proxy error</html>");
                return;
            case OpaFakeMode.Undefined:
                await WriteAsync(context, 200, "{}");
                return;
        }
        var decision = _rules.Decide(input.Deserialize<PolicyInput>()!);
        var result = new Dictionary<string, object>
        {
            ["allow"] = decision.Outcome == PolicyOutcome.Allow,
            ["reason"] = decision.Reason,
        };
        await WriteAsync(context, 200, JsonSerializer.Serialize(new { result }));
    }

    private static bool IsWellFormed(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.EnumerateObject().Select(p => p.Name).SequenceEqual(["input"])
        && body.GetProperty("input") is { ValueKind: JsonValueKind.Object } input
        && InputFields.All(field => input.TryGetProperty(field, out _))
        && input.GetProperty("kind").ValueKind == JsonValueKind.String
        && input.GetProperty("scopes").ValueKind == JsonValueKind.Array;

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SomaAgent.Gateway;

namespace SomaAgent.Tests.Gateway;

/// <summary>
/// The real gateway (in-process workers, real HTTP pipeline through TestServer) over its own SQLite file,
/// or over PostgreSQL when a connection string is given. Settings are applied before Program runs, so they
/// select backing services exactly as environment variables would. Several apps may share one database
/// file in turn, which is how restart tests work. Authentication is on, as in production: the app is given
/// <see cref="BootstrapKey"/> and every client from <c>CreateClient</c> sends it; <see cref="CreateAnonymousClient"/>
/// sends nothing.
/// </summary>
public sealed class GatewayApp : WebApplicationFactory<GatewayEntryPoint>
{
    /// <summary>The platform-admin key of the default tenant (<c>SOMAAGENT_BOOTSTRAP_KEY</c>) in every test app; a test value, not a secret.</summary>
    public const string BootstrapKey = "sk-test-bootstrap-0123456789abcdef0123456789abcdef";

    private readonly Dictionary<string, string?> _settings;

    private readonly ILoggerProvider? _logs;

    private readonly Action<IServiceCollection>? _testServices;

    /// <param name="testServices">Services that replace or add to the gateway's own (<c>ConfigureTestServices</c>).</param>
    public GatewayApp(string? databaseFile = null, string? postgres = null, IDictionary<string, string?>? settings = null,
        ILoggerProvider? logs = null, Action<IServiceCollection>? testServices = null)
    {
        _logs = logs;
        _testServices = testServices;
        DatabaseFile = databaseFile ?? Path.Combine(Directory.CreateTempSubdirectory("somaagent-gw-").FullName, "somaagent.db");
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        _settings.TryAdd("SOMAAGENT_BOOTSTRAP_KEY", BootstrapKey);
        // Next to the database, so a restarted app (same file) continues the same audit log.
        _settings.TryAdd("SomaAgent:Audit:Path", Path.Combine(Path.GetDirectoryName(DatabaseFile)!, "audit.jsonl"));
        // The app's own files (a generated bootstrap key) beside its database, never in the source tree.
        _settings.TryAdd("SomaAgent:DataDirectory", Path.GetDirectoryName(DatabaseFile));
        if (postgres is not null)
        {
            _settings["ConnectionStrings:postgres"] = postgres;
        }
        else
        {
            _settings["ConnectionStrings:sqlite"] = $"Data Source={DatabaseFile}";
        }
    }

    /// <summary>The SQLite file behind this app; pass it to a new app to "restart" the gateway.</summary>
    public string DatabaseFile { get; }

    /// <summary>The audit log's JSON-lines file.</summary>
    public string AuditFile => _settings["SomaAgent:Audit:Path"]!;

    public static JsonSerializerOptions Json { get; } = CreateJson();

    /// <summary>A prompt the simulated model answers at length: with <see cref="SlowModel"/>, a turn a test can catch mid-stream.</summary>
    public const string LongInput = "Please describe, in your own words and at some length, what a patient robot does while it waits for the bus";

    /// <summary>A gateway whose simulated model takes 40 ms per token, so turns run long enough to be watched, interrupted or cancelled.</summary>
    public static GatewayApp SlowModel() => new(settings: new Dictionary<string, string?>
    {
        ["SomaAgent:Models:Simulated:TimePerTokenMs"] = "40",
    });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        if (_logs is not null)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(_logs));
        }
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (_testServices is not null)
        {
            builder.ConfigureTestServices(_testServices);
        }
    }

    /// <summary>A client that sends no credential.</summary>
    public HttpClient CreateAnonymousClient() => CreateClientWith(null);

    /// <summary>A client that sends <paramref name="key"/> as a bearer token (no credential when null).</summary>
    public HttpClient CreateClientWith(string? key)
    {
        var client = Server.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        if (_settings.GetValueOrDefault("SOMAAGENT_BOOTSTRAP_KEY") is { Length: > 0 } key)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
    }

    /// <summary>Opens a session and returns its id.</summary>
    public async Task<Guid> CreateSessionAsync(object request, CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        var response = await client.PostAsJsonAsync("/v1/sessions", request, Json, cancellationToken);
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        return created.GetProperty("id").GetGuid();
    }

    /// <summary>Polls the session until its latest turn has ended (or the timeout passes) and returns it.</summary>
    public async Task<JsonElement> WaitForEndAsync(Guid id, CancellationToken cancellationToken, int turn = 1, TimeSpan? timeout = null)
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var session = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Json, cancellationToken);
            var status = session.GetProperty("status").GetString();
            if (session.GetProperty("turn").GetInt32() >= turn && status is "completed" or "failed" or "cancelled")
            {
                return session;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Session {id} is still {status} after the timeout: {session}");
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Polls the session until its latest turn has streamed some output (a turn caught mid-stream).</summary>
    public async Task WaitForOutputAsync(Guid id, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var session = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Json, cancellationToken);
            if (session.GetProperty("output").GetString() is { Length: > 0 })
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Session {id} produced no output before the timeout: {session}");
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Microsoft.Extensions.DependencyInjection.GatewayExtensions.ConfigureJson(options);
        return options;
    }
}

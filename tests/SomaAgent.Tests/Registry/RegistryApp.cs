using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Registry;
using SomaAgent.Security.Identity;

namespace SomaAgent.Tests.Registry;

/// <summary>The real registry over a gateway's store (its SQLite file, or a PostgreSQL database), with its own audit log.</summary>
internal sealed class RegistryApp(string databaseFile, string? postgres = null, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<RegistryEntryPoint>
{
    public string AuditFile { get; } = Path.Combine(Path.GetDirectoryName(databaseFile)!, "registry-audit.jsonl");

    /// <summary>Every request the registry received, as it arrived: what the gateway forwards, and which credentials came with it.</summary>
    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public HttpClient CreateClientWith(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        }
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting(postgres is null ? "ConnectionStrings:sqlite" : "ConnectionStrings:postgres", postgres ?? $"Data Source={databaseFile}");
        builder.UseSetting("SomaAgent:Audit:Path", AuditFile);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new RecordRequests(Received)));
    }

    public sealed record ReceivedRequest(string Method, string Path, bool Authorization, bool ApiKey, bool ForwardedCaller);

    private sealed class RecordRequests(ConcurrentQueue<ReceivedRequest> received) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                var headers = context.Request.Headers;
                received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path.Value ?? "/",
                    headers.Authorization.Count > 0, headers.ContainsKey("X-API-Key"), headers.ContainsKey(ForwardedCaller.HeaderName)));
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

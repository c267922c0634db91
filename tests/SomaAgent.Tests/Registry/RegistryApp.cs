using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SomaAgent.Registry;

namespace SomaAgent.Tests.Registry;

/// <summary>The real registry over a gateway's store (its SQLite file, or a PostgreSQL database), with its own audit log.</summary>
internal sealed class RegistryApp(string databaseFile, string? postgres = null, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<RegistryEntryPoint>
{
    public string AuditFile { get; } = Path.Combine(Path.GetDirectoryName(databaseFile)!, "registry-audit.jsonl");

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
    }
}

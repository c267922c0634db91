using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Workers;

namespace SomaAgent.Tests.Workers;

/// <summary>The Workers service runs the conversation worker and the tool executor, together or one role per deployment.</summary>
[Collection(KafkaCollection.Name)]
public sealed class WorkerRolesTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_Kafka_a_Workers_process_runs_both_roles_by_default()
    {
        await using var workers = Workers(roles: null);
        using var client = workers.CreateClient();

        var status = await client.GetFromJsonAsync<JsonElement>("/", Ct);

        status.GetProperty("mode").GetString().ShouldBe("active");
        status.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ShouldBe(["conversation-worker", "tool-executor"]);
    }

    [Fact]
    public async Task A_Workers_deployment_can_run_only_the_tool_executor()
    {
        await using var workers = Workers(roles: "tool-executor");
        using var client = workers.CreateClient();

        var status = await client.GetFromJsonAsync<JsonElement>("/", Ct);

        status.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ShouldBe(["tool-executor"]);
        status.GetProperty("reason").GetString()!.ShouldContain("tool.requests");
    }

    [Fact]
    public void An_unknown_role_stops_the_start_naming_the_setting_and_the_roles()
    {
        using var workers = Workers(roles: "conversation-worker, planner");

        var error = Should.Throw<InvalidOperationException>(() => workers.CreateClient());

        error.Message.ShouldContain("SomaAgent:Workers:Roles");
        error.Message.ShouldContain("unknown: planner");
    }

    private WebApplicationFactory<WorkersEntryPoint> Workers(string? roles)
    {
        kafka.EnsureSomaAgentTopics();
        var database = Path.Combine(Directory.CreateTempSubdirectory("somaagent-workers-").FullName, "somaagent.db");
        return new WebApplicationFactory<WorkersEntryPoint>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("ConnectionStrings:kafka", kafka.BootstrapServers);
            builder.UseSetting("ConnectionStrings:sqlite", $"Data Source={database}");
            builder.UseSetting("SomaAgent:Audit:Path", Path.Combine(Path.GetDirectoryName(database)!, "workers-audit.jsonl"));
            builder.UseSetting("SomaAgent:Kafka:GroupPrefix", $"{Guid.NewGuid():N}.");
            if (roles is not null)
            {
                builder.UseSetting("SomaAgent:Workers:Roles", roles);
            }
        });
    }
}

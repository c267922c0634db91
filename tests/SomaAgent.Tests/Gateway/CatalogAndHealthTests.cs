using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class CatalogAndHealthTests(SharedGateway gateway)
{
    private readonly GatewayApp _app = gateway.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Models_use_the_OpenAI_list_shape_and_mark_the_built_in_model_simulated()
    {
        using var client = _app.CreateClient();

        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", Ct);

        models.GetProperty("object").GetString().ShouldBe("list");
        var simulated = models.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "soma-simulated-1");
        simulated.GetProperty("object").GetString().ShouldBe("model");
        simulated.GetProperty("owned_by").GetString().ShouldBe("somaagent");
        simulated.GetProperty("provider").GetString().ShouldBe("builtin");
        simulated.GetProperty("simulated").GetBoolean().ShouldBeTrue();
        simulated.GetProperty("default").GetBoolean().ShouldBeTrue();
        simulated.GetProperty("description").GetString()!.ShouldContain("simulated");
    }

    [Fact]
    public async Task Tools_are_listed_with_a_JSON_schema_of_their_arguments()
    {
        using var client = _app.CreateClient();

        var tools = await client.GetFromJsonAsync<JsonElement>("/v1/tools", Ct);

        var byName = tools.GetProperty("data").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        byName.Keys.ShouldBe(["calculator", "clock", "memory"], ignoreOrder: true);
        var calculator = byName["calculator"].GetProperty("parameters");
        calculator.GetProperty("type").GetString().ShouldBe("object");
        calculator.GetProperty("properties").GetProperty("expression").GetProperty("type").GetString().ShouldBe("string");
        calculator.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ShouldBe(["expression"]);
        byName["memory"].GetProperty("parameters").GetProperty("properties").TryGetProperty("action", out _).ShouldBeTrue();
        byName.Values.ShouldAllBe(t => t.GetProperty("description").GetString()!.Length > 10);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task Probes_answer_healthy(string path)
    {
        using var client = _app.CreateClient();

        using var response = await client.GetAsync(path, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe("Healthy");
    }

    [Fact]
    public async Task V1_health_reports_each_check()
    {
        using var client = _app.CreateClient();

        var health = await client.GetFromJsonAsync<JsonElement>("/v1/health", Ct);

        health.GetProperty("status").GetString().ShouldBe("healthy");
        health.GetProperty("checks").GetProperty("session-store").GetProperty("status").GetString().ShouldBe("healthy");
    }

    [Fact]
    public async Task Metrics_are_exposed_for_Prometheus_and_name_what_users_see()
    {
        var id = await _app.CreateSessionAsync(new { input = "What is 1+2?" }, Ct);
        await _app.WaitForEndAsync(id, Ct);
        using var client = _app.CreateClient();

        // The exporter caches a scrape briefly; the turn's metrics appear within a few scrapes.
        string text = "";
        for (var attempt = 0; attempt < 50 && !text.Contains("somaagent_turns_ended", StringComparison.Ordinal); attempt++)
        {
            using var response = await client.GetAsync("/metrics", Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            text = await response.Content.ReadAsStringAsync(Ct);
            await Task.Delay(100, Ct);
        }

        text.ShouldContain("somaagent_turns_ended_total{");
        text.ShouldContain("status=\"completed\"");
        text.ShouldContain("somaagent_turn_duration_seconds_bucket");
        text.ShouldContain("tool_execution_time_seconds_bucket{");
        text.ShouldContain("http_server_request_duration_seconds");
    }
}

/// <summary>Settings this build cannot honour stop the gateway at start-up with a message naming the key.</summary>
public sealed class GatewaySettingsTests
{
    [Theory]
    [InlineData("SOMAAGENT_BOOTSTRAP_KEY", "too-short", "SOMAAGENT_BOOTSTRAP_KEY must be at least 32 characters")]
    [InlineData("SomaAgent:Gateway:HostWorkers", "false", "SomaAgent:Gateway:HostWorkers=false")]
    [InlineData("GATEWAY_MAX_BODY_BYTES", "10", "MaxRequestBodyBytes")]
    public async Task Settings_the_gateway_cannot_honour_stop_it_at_start_up(string key, string value, string message)
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { [key] = value });

        var error = Should.Throw<Microsoft.Extensions.Options.OptionsValidationException>(() => app.Server);

        error.Message.ShouldContain(message);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class SessionLifecycleTests(SharedGateway gateway)
{
    private readonly GatewayApp _app = gateway.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Arithmetic_input_completes_with_the_number_the_calculator_computed()
    {
        var id = await _app.CreateSessionAsync(new { input = "What is 12*(3+4)?" }, Ct);

        var session = await _app.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString()!.ShouldContain("84");
        var events = session.GetProperty("events").EnumerateArray().ToList();
        var call = events.Single(e => e.GetProperty("type").GetString() == "tool.call");
        call.GetProperty("data").GetProperty("name").GetString().ShouldBe("calculator");
        var result = events.Single(e => e.GetProperty("type").GetString() == "tool.result");
        result.GetProperty("data").GetProperty("result").GetProperty("result").GetDouble().ShouldBe(84);
    }

    [Fact]
    public async Task Create_answers_201_with_location_and_the_queued_session()
    {
        using var client = _app.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
        var id = body.GetProperty("id").GetGuid();
        response.Headers.Location!.ToString().ShouldBe($"/v1/sessions/{id}");
        body.GetProperty("status").GetString().ShouldBe("queued");
        body.GetProperty("model").GetString().ShouldBe("soma-simulated-1");
        body.TryGetProperty("created_at", out _).ShouldBeTrue();
        response.Headers.GetValues("api-version").ShouldBe(["1"]);
    }

    [Fact]
    public async Task Events_are_numbered_gaplessly_from_one()
    {
        var id = await _app.CreateSessionAsync(new { input = "What time is it and what is 2+2?" }, Ct);

        var session = await _app.WaitForEndAsync(id, Ct);

        var sequences = session.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        sequences.ShouldBe(Enumerable.Range(1, sequences.Count).Select(i => (long)i).ToList());
    }
}

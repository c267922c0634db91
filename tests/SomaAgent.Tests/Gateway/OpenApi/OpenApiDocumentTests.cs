using System.Net;
using System.Text.Json.Nodes;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Gateway.OpenApi;

/// <summary>
/// The OpenAPI document the gateway serves is the one committed next to it, it describes every route fully
/// (ids, summaries, problem responses, the version header, examples), and the docs rendered from it are current.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiDocumentTests(SharedGateway gateway)
{
    private const string RegenerateHint = "Run `dotnet build src/SomaAgent.Gateway` (it regenerates src/SomaAgent.Gateway/openapi.json) and commit the file.";
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Served_document_matches_the_committed_openapi_json()
    {
        var served = await FetchAsync();
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(RepoPaths.OpenApiDocument, Ct));

        JsonNode.DeepEquals(served, committed).ShouldBeTrue(
            $"GET /openapi.json differs from {RepoPaths.OpenApiDocument}: the committed document has drifted from the code. {RegenerateHint}");
    }

    [Fact]
    public async Task Document_is_openapi_3_with_a_relative_server_and_an_introduction_that_explains_authentication()
    {
        var document = await FetchAsync();

        document["openapi"]!.GetValue<string>().ShouldStartWith("3.");
        document["servers"]!.AsArray().Select(s => s!["url"]!.GetValue<string>()).ShouldBe(["/"]);
        document["info"]!["description"]!.GetValue<string>().ShouldContain("needs an API key");
        document["components"]!["headers"]!["api-version"].ShouldNotBeNull();
        document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>().ShouldBe("bearer");
        document["components"]!["securitySchemes"]!["apiKey"]!["name"]!.GetValue<string>().ShouldBe("X-API-Key");
    }

    [Fact]
    public async Task Every_v1_operation_has_an_id_a_summary_problem_responses_and_the_version_header()
    {
        var document = await FetchAsync();
        var operations = V1Operations(document).ToList();
        operations.ShouldNotBeEmpty();

        foreach (var (name, operation) in operations)
        {
            operation["operationId"]?.GetValue<string>().ShouldNotBeNullOrWhiteSpace($"{name} has no operationId");
            operation["summary"]?.GetValue<string>().ShouldNotBeNullOrWhiteSpace($"{name} has no summary");
            var responses = operation["responses"]!.AsObject();
            foreach (var (status, response) in responses)
            {
                response!["headers"]?["api-version"]?["$ref"]?.GetValue<string>()
                    .ShouldBe("#/components/headers/api-version", $"{name} {status} does not document the api-version header");
                if (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture) >= 400 && response["content"]?["application/problem+json"] is { } problem)
                {
                    problem["schema"]!["$ref"]!.GetValue<string>().ShouldEndWith("ProblemDetails", customMessage: $"{name} {status}");
                    problem["examples"]!.AsObject().Count.ShouldBePositive($"{name} {status} has no problem example");
                }
            }
            // The OpenAI-compatible routes answer errors in OpenAI's JSON shape instead (ChatCompletionsOpenApiTests).
            var errorMedia = name.Contains(" /v1/chat/", StringComparison.Ordinal) ? "application/json" : "application/problem+json";
            responses.Any(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture) >= 400 && r.Value!["content"]?[errorMedia] is not null)
                .ShouldBeTrue($"{name} documents no {errorMedia} error response");
        }
    }

    [Fact]
    public async Task Declared_client_errors_use_the_problem_schema_with_trace_id_and_400_adds_errors()
    {
        var document = await FetchAsync();
        var schemas = document["components"]!["schemas"]!;

        schemas["ProblemDetails"]!["properties"]!.AsObject().Select(p => p.Key)
            .ShouldBe(["type", "title", "status", "detail", "instance", "trace_id"], ignoreOrder: true);
        schemas["ValidationProblemDetails"]!["properties"]!["errors"].ShouldNotBeNull();
        var create = document["paths"]!["/v1/sessions"]!["post"]!["responses"]!;
        foreach (var status in new[] { "400", "413", "415", "422" })
        {
            create[status]!["content"]!["application/problem+json"].ShouldNotBeNull($"POST /v1/sessions {status}");
        }
        create["400"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/ValidationProblemDetails");
        document["paths"]!["/v1/sessions/{id}/messages"]!["post"]!["responses"]!["409"]!["content"]!["application/problem+json"]!["examples"]!
            ["turn_in_progress"]!["value"]!["type"]!.GetValue<string>().ShouldBe("urn:somaagent:problem:turn-in-progress");
    }

    [Fact]
    public async Task Create_session_documents_input_and_messages_examples_and_the_idempotency_key()
    {
        var document = await FetchAsync();
        var create = document["paths"]!["/v1/sessions"]!["post"]!;

        var examples = create["requestBody"]!["content"]!["application/json"]!["examples"]!.AsObject();
        examples["input"]!["value"]!["input"].ShouldNotBeNull();
        examples["messages"]!["value"]!["messages"]!.AsArray().ShouldNotBeEmpty();
        create["parameters"]!.AsArray().ShouldContain(p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header");
        create["responses"]!["201"]!["content"]!["application/json"]!["example"]!["id"].ShouldNotBeNull();
    }

    [Fact]
    public async Task Event_stream_is_documented_as_text_event_stream_with_an_example_and_last_event_id()
    {
        var document = await FetchAsync();
        var stream = document["paths"]!["/v1/sessions/{id}/events"]!["get"]!;

        var ok = stream["responses"]!["200"]!;
        ok["description"]!.GetValue<string>().ShouldContain("`id:` the event's `sequence`");
        ok["content"]!["text/event-stream"]!["example"]!.GetValue<string>().ShouldStartWith("event: ");
        stream["parameters"]!.AsArray().ShouldContain(p => p!["name"]!.GetValue<string>() == "Last-Event-ID");
        document["components"]!["schemas"]!["SseItemOfstring"].ShouldBeNull();
    }

    [Fact]
    public async Task Scalar_answers_with_html()
    {
        using var client = gateway.App.CreateClient();

        using var response = await client.GetAsync("/scalar", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
    }

    [Fact]
    public async Task Api_docs_are_generated_from_the_current_openapi_document()
    {
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(RepoPaths.OpenApiDocument, Ct))!;
        var expected = ApiMarkdown.Render(committed);

        if (Environment.GetEnvironmentVariable("UPDATE_API_DOCS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(RepoPaths.ApiDocs)!);
            await File.WriteAllTextAsync(RepoPaths.ApiDocs, expected, Ct);
            return;
        }
        File.Exists(RepoPaths.ApiDocs).ShouldBeTrue($"{RepoPaths.ApiDocs} is missing; run eng/update-api-docs.sh and commit it.");
        var actual = (await File.ReadAllTextAsync(RepoPaths.ApiDocs, Ct)).ReplaceLineEndings("\n");
        (actual == expected).ShouldBeTrue(
            $"{RepoPaths.ApiDocs} is stale: it is not what src/SomaAgent.Gateway/openapi.json renders to. Run eng/update-api-docs.sh and commit the result.");
    }

    private async Task<JsonNode> FetchAsync()
    {
        using var client = gateway.App.CreateClient();
        using var response = await client.GetAsync("/openapi.json", Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
    }

    private static IEnumerable<(string Name, JsonNode Operation)> V1Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        where path.Key.StartsWith("/v1/", StringComparison.Ordinal)
        from method in Methods
        let operation = path.Value![method]
        where operation is not null
        select (method.ToUpperInvariant() + " " + path.Key, operation);
}

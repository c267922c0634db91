using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Models;

/// <summary>A gateway whose configuration adds the tiny GGUF model (written by the test) as <c>tiny-gguf</c>.</summary>
public sealed class LocalModelGatewayFixture : IAsyncLifetime
{
    public const string Model = "tiny-gguf";
    public const int MaxTokens = 16;

    public TinyGgufFile File { get; } = new();

    public GatewayApp App { get; private set; } = null!;

    public ValueTask InitializeAsync()
    {
        App = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["SomaAgent:Models:Gguf:0:Id"] = Model,
            ["SomaAgent:Models:Gguf:0:Path"] = File.Path,
            ["SomaAgent:Models:Gguf:0:MaxTokens"] = MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SomaAgent:Models:Gguf:0:ContextSize"] = "256",
            ["SomaAgent:Models:Gguf:0:Threads"] = "1",
            ["SomaAgent:Models:Gguf:0:Description"] = "Tiny test model (gibberish).",
        });
        _ = App.Server;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        File.Dispose();
    }
}

public sealed class LocalModelGatewayTests(LocalModelGatewayFixture fixture) : IClassFixture<LocalModelGatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_gguf_model_is_listed_in_v1_models_as_a_real_llamasharp_model()
    {
        using var client = fixture.App.CreateClient();

        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", GatewayApp.Json, Ct);

        var entry = models.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == LocalModelGatewayFixture.Model);
        entry.GetProperty("provider").GetString().ShouldBe("llamasharp");
        entry.GetProperty("owned_by").GetString().ShouldBe("llamasharp");
        entry.GetProperty("simulated").GetBoolean().ShouldBeFalse();
        entry.GetProperty("default").GetBoolean().ShouldBeFalse();
        entry.GetProperty("description").GetString().ShouldBe("Tiny test model (gibberish).");
    }

    [Fact]
    public async Task A_session_on_the_gguf_model_completes_with_streamed_output()
    {
        var id = await fixture.App.CreateSessionAsync(new { input = "hello there", model = LocalModelGatewayFixture.Model }, Ct);

        var session = await fixture.App.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(20));

        session.GetProperty("status").GetString().ShouldBe("completed");
        var output = session.GetProperty("output").GetString();
        output.ShouldNotBeNullOrEmpty();
        output.Length.ShouldBe(LocalModelGatewayFixture.MaxTokens);
        var deltas = session.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() == "message.delta")
            .Select(e => e.GetProperty("data").GetProperty("content").GetString())
            .ToList();
        deltas.Count.ShouldBeGreaterThan(1);
        string.Concat(deltas).ShouldBe(output);
    }

    [Fact]
    public async Task A_missing_gguf_file_stops_the_start_up_naming_key_and_path()
    {
        var missing = Path.Combine(fixture.File.Folder, "nowhere", "model.gguf");
        await using var app = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["SomaAgent:Models:Gguf:0:Id"] = "absent",
            ["SomaAgent:Models:Gguf:0:Path"] = missing,
        });

        var thrown = Should.Throw<OptionsValidationException>(() => app.Server);

        thrown.Message.ShouldContain($"SomaAgent:Models:Gguf:0:Path: the file '{missing}' does not exist.");
    }
}

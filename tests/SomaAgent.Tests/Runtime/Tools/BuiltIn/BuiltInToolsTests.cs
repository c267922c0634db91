using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Engine.Tools;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Tools;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Tools.BuiltIn;

/// <summary>
/// The built-in tools inside the real gateway: whole turns with the simulated model, and single calls
/// through the <see cref="ToolExecutor"/> exactly as the tool executor receives them from the bus.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BuiltInToolsTests(SharedGateway gateway)
{
    private readonly GatewayApp _app = gateway.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Memory_set_in_one_turn_is_recalled_in_the_next()
    {
        var id = await _app.CreateSessionAsync(new { input = "remember my color is blue" }, Ct);
        var first = await _app.WaitForEndAsync(id, Ct);
        first.GetProperty("output").GetString().ShouldBe("I will remember that color is blue.");

        await PostMessageAsync(id, "what is my color", Ct);
        var second = await _app.WaitForEndAsync(id, Ct, turn: 2);

        second.GetProperty("status").GetString().ShouldBe("completed");
        second.GetProperty("output").GetString().ShouldBe("Your color is blue.");
    }

    [Fact]
    public async Task Memory_of_one_session_is_invisible_to_another()
    {
        var owner = await _app.CreateSessionAsync(new { input = "remember my pet is a cat" }, Ct);
        await _app.WaitForEndAsync(owner, Ct);

        var other = await _app.CreateSessionAsync(new { input = "what is my pet?" }, Ct);
        var session = await _app.WaitForEndAsync(other, Ct);

        session.GetProperty("output").GetString().ShouldBe("I have nothing stored under pet.");
    }

    [Fact]
    public async Task Memory_list_returns_the_session_keys_in_order()
    {
        var session = await CreateQuietSessionAsync();
        await RunToolAsync(session, "memory", new { action = "set", key = "zeta", value = "1" });
        await RunToolAsync(session, "memory", new { action = "set", key = "alpha", value = "2" });
        await RunToolAsync(await CreateQuietSessionAsync(), "memory", new { action = "set", key = "elsewhere", value = "3" });

        var list = await RunToolAsync(session, "memory", new { action = "list" });

        list.IsError.ShouldBeFalse();
        list.Json.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).ShouldBe(["alpha", "zeta"]);
    }

    [Fact]
    public async Task Memory_set_twice_keeps_the_latest_value()
    {
        var session = await CreateQuietSessionAsync();
        await RunToolAsync(session, "memory", new { action = "set", key = "color", value = "blue" });
        await RunToolAsync(session, "memory", new { action = "set", key = "color", value = "green" });

        var get = await RunToolAsync(session, "memory", new { action = "get", key = "color" });

        get.Json.GetProperty("value").GetString().ShouldBe("green");
    }

    [Fact]
    public async Task Memory_delete_forgets_the_key()
    {
        var session = await CreateQuietSessionAsync();
        await RunToolAsync(session, "memory", new { action = "set", key = "color", value = "blue" });

        var delete = await RunToolAsync(session, "memory", new { action = "delete", key = "color" });
        var get = await RunToolAsync(session, "memory", new { action = "get", key = "color" });

        delete.IsError.ShouldBeFalse();
        get.IsError.ShouldBeFalse();
        (get.Json.TryGetProperty("value", out var value) && value.ValueKind != JsonValueKind.Null).ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"action":"shout","key":"a"}""", "Unknown action 'shout'; use set, get, delete or list.")]
    [InlineData("""{"action":"set","key":"a"}""", "'set' needs a value of at most 4096 characters.")]
    [InlineData("""{"action":"set","value":"blue"}""", "A key of 1 to 128 characters is required.")]
    public async Task Memory_misuse_comes_back_as_an_error_result_the_model_can_read(string arguments, string message)
    {
        var session = await CreateQuietSessionAsync();

        var result = await RunToolAsync(session, "memory", arguments);

        result.IsError.ShouldBeTrue();
        result.Json.GetProperty("error").GetString()!.ShouldStartWith(message);
    }

    [Theory]
    [InlineData("""{"action":"get"}""")]
    [InlineData("""{"action":"delete","key":"  "}""")]
    public async Task Memory_get_or_delete_without_a_key_says_a_key_is_required(string arguments)
    {
        var session = await CreateQuietSessionAsync();

        var result = await RunToolAsync(session, "memory", arguments);

        result.IsError.ShouldBeTrue();
        result.Json.GetProperty("error").GetString()!.ShouldStartWith("A key of 1 to 128 characters is required.");
    }

    [Fact]
    public async Task Calculator_returns_the_expression_and_its_value()
    {
        var result = await RunToolAsync(await CreateQuietSessionAsync(), "calculator", new { expression = "(12 + 30) * 2" });

        result.IsError.ShouldBeFalse();
        result.Json.GetProperty("expression").GetString().ShouldBe("(12 + 30) * 2");
        result.Json.GetProperty("result").GetDouble().ShouldBe(84);
    }

    [Fact]
    public async Task Calculator_division_by_zero_is_an_error_result()
    {
        var result = await RunToolAsync(await CreateQuietSessionAsync(), "calculator", new { expression = "1/0" });

        result.IsError.ShouldBeTrue();
        result.Json.GetProperty("error").GetString()!.ShouldContain("division by zero");
    }

    [Fact]
    public async Task Clock_with_a_zone_returns_utc_and_the_local_time_there()
    {
        var result = await RunToolAsync(await CreateQuietSessionAsync(), "clock", new { timezone = "Asia/Tokyo" });

        result.IsError.ShouldBeFalse();
        var utc = DateTimeOffset.Parse(result.Json.GetProperty("utc").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var local = DateTimeOffset.Parse(result.Json.GetProperty("local").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        result.Json.GetProperty("timezone").GetString().ShouldBe("Asia/Tokyo");
        local.Offset.ShouldBe(TimeSpan.FromHours(9));
        local.ShouldBe(utc);
        utc.ShouldBe(DateTimeOffset.UtcNow, tolerance: TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Clock_with_an_unknown_zone_is_an_error_result()
    {
        var result = await RunToolAsync(await CreateQuietSessionAsync(), "clock", new { timezone = "Mars/Olympus" });

        result.IsError.ShouldBeTrue();
        result.Json.GetProperty("error").GetString()!.ShouldContain("Unknown time zone 'Mars/Olympus'");
    }

    /// <summary>A real session (memory rows reference it) whose own turn calls no tool.</summary>
    private async Task<Guid> CreateQuietSessionAsync()
    {
        var id = await _app.CreateSessionAsync(new { input = "hello", tools = Array.Empty<string>() }, Ct);
        await _app.WaitForEndAsync(id, Ct);
        return id;
    }

    private Task<ToolRun> RunToolAsync(Guid session, string tool, object arguments) =>
        RunToolAsync(session, tool, JsonSerializer.Serialize(arguments));

    private Task<ToolRun> RunToolAsync(Guid session, string tool, string argumentsJson) =>
        _app.RunToolAsync(session, tool, argumentsJson, Ct);

    private async Task PostMessageAsync(Guid id, string input, CancellationToken cancellationToken)
    {
        using var client = _app.CreateClient();
        var response = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input }, GatewayApp.Json, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

}

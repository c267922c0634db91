using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace SomaAgent.Tests.Runtime.Tools.Resilience;

/// <summary>Retries, timeouts and circuit breakers around tool calls (Polly, through the real executor).</summary>
public sealed class ToolResilienceTests
{
    /// <summary>No back-off, so retries cost no wall time; everything else at its default.</summary>
    private static readonly Dictionary<string, string?> NoDelay = new() { ["SomaAgent:Tools:Resilience:RetryDelayMs"] = "0" };

    [Fact]
    public async Task A_transient_failure_is_retried_until_the_tool_answers()
    {
        var tool = new ScriptedTool("flaky", (n, _, _) => n < 3 ? throw new IOException("connection reset") : Task.FromResult("done"));
        await using var host = await ToolHost.StartAsync([tool.Tool], NoDelay);

        var result = await host.RunAsync(tool.Name);

        result.IsError.ShouldBeFalse();
        result.ResultJson.ShouldBe("\"done\"");
        tool.Invocations.ShouldBe(3);
    }

    [Fact]
    public async Task A_tool_that_keeps_failing_gives_up_after_the_configured_retries()
    {
        var tool = new ScriptedTool("broken", (_, _, _) => throw new IOException("connection reset"));
        await using var host = await ToolHost.StartAsync([tool.Tool], new Dictionary<string, string?>(NoDelay)
        {
            ["SomaAgent:Tools:Resilience:MaxRetryAttempts"] = "3",
        });

        var result = await host.RunAsync(tool.Name);

        result.IsError.ShouldBeTrue();
        Error(result.ResultJson).ShouldBe("The tool 'broken' failed unexpectedly (4 attempts).");
        tool.Invocations.ShouldBe(4);
    }

    [Fact]
    public async Task A_tool_not_marked_retryable_runs_once()
    {
        var tool = new ScriptedTool("sends-mail", (_, _, _) => throw new IOException("connection reset"), retryable: false);
        await using var host = await ToolHost.StartAsync([tool.Tool], NoDelay);

        var result = await host.RunAsync(tool.Name);

        result.IsError.ShouldBeTrue();
        Error(result.ResultJson).ShouldBe("The tool 'sends-mail' failed unexpectedly.");
        tool.Invocations.ShouldBe(1);
    }

    [Fact]
    public async Task A_bad_call_is_answered_with_the_tools_message_and_not_retried()
    {
        var tool = new ScriptedTool("strict", (_, _, _) => throw new ArgumentException("x must be a date."));
        await using var host = await ToolHost.StartAsync([tool.Tool], NoDelay);

        var result = await host.RunAsync(tool.Name, """{"x":"soon"}""");

        result.IsError.ShouldBeTrue();
        Error(result.ResultJson).ShouldBe("x must be a date.");
        tool.Invocations.ShouldBe(1);
    }

    [Fact]
    public async Task An_attempt_that_hangs_is_abandoned_at_the_tool_timeout_and_retried()
    {
        var tool = new ScriptedTool(
            "sometimes-hangs",
            async (n, _, ct) =>
            {
                if (n == 1)
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                return "second try";
            },
            timeout: TimeSpan.FromMilliseconds(200));
        await using var host = await ToolHost.StartAsync([tool.Tool], NoDelay);

        var result = await host.RunAsync(tool.Name);

        result.IsError.ShouldBeFalse();
        result.ResultJson.ShouldBe("\"second try\"");
        tool.Invocations.ShouldBe(2);
    }

    [Fact]
    public async Task A_tool_that_always_hangs_reports_its_timeout_and_attempts()
    {
        var tool = new ScriptedTool(
            "hangs",
            async (_, _, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return "never";
            },
            timeout: TimeSpan.FromMilliseconds(100));
        await using var host = await ToolHost.StartAsync([tool.Tool], NoDelay);

        var result = await host.RunAsync(tool.Name);

        result.IsError.ShouldBeTrue();
        Error(result.ResultJson).ShouldBe("The tool did not answer within 0.1 s (3 attempts).");
    }

    [Fact]
    public async Task The_total_budget_ends_a_call_whose_attempts_would_take_longer()
    {
        var tool = new ScriptedTool(
            "slow",
            async (_, _, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return "never";
            },
            timeout: TimeSpan.FromSeconds(20));
        await using var host = await ToolHost.StartAsync([tool.Tool], new Dictionary<string, string?>(NoDelay)
        {
            ["SomaAgent:Tools:Resilience:TotalTimeoutSeconds"] = "1",
        });
        var started = Stopwatch.GetTimestamp();

        var result = await host.RunAsync(tool.Name);

        Error(result.ResultJson).ShouldBe("The tool did not answer within 1 s.");
        tool.Invocations.ShouldBe(1);
        Stopwatch.GetElapsedTime(started).ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_later_calls_fail_fast()
    {
        var tool = new ScriptedTool("down", (_, _, _) => throw new IOException("connection refused"), retryable: false);
        await using var host = await ToolHost.StartAsync([tool.Tool], SmallBreaker);
        for (var i = 0; i < 4; i++)
        {
            await host.RunAsync(tool.Name);
        }

        var result = await host.RunAsync(tool.Name);

        tool.Invocations.ShouldBe(4);
        result.IsError.ShouldBeTrue();
        Error(result.ResultJson).ShouldStartWith("The tool 'down' is unavailable after repeated failures; it is not called for about ");
    }

    [Fact]
    public async Task An_open_circuit_of_one_tool_leaves_the_other_tools_running()
    {
        var down = new ScriptedTool("down", (_, _, _) => throw new IOException("connection refused"), retryable: false);
        var healthy = ScriptedTool.Echo("healthy");
        await using var host = await ToolHost.StartAsync([down.Tool, healthy.Tool], SmallBreaker);
        for (var i = 0; i < 5; i++)
        {
            await host.RunAsync(down.Name);
        }

        var result = await host.RunAsync(healthy.Name, """{"x":"ok"}""");

        down.Invocations.ShouldBe(4);
        result.IsError.ShouldBeFalse();
        result.ResultJson.ShouldBe("\"ok#1\"");
    }

    [Fact]
    public async Task Bad_calls_do_not_open_the_circuit()
    {
        var tool = new ScriptedTool("picky", (_, _, _) => throw new FormatException("not a number."));
        await using var host = await ToolHost.StartAsync([tool.Tool], SmallBreaker);
        for (var i = 0; i < 8; i++)
        {
            await host.RunAsync(tool.Name);
        }

        var result = await host.RunAsync(tool.Name);

        Error(result.ResultJson).ShouldBe("not a number.");
        tool.Invocations.ShouldBe(9);
    }

    [Fact]
    public async Task After_the_break_a_successful_trial_call_closes_the_circuit()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var recovered = false;
        var tool = new ScriptedTool(
            "recovers",
            (_, _, _) => Volatile.Read(ref recovered) ? Task.FromResult("back") : throw new IOException("connection refused"),
            retryable: false);
        await using var host = await ToolHost.StartAsync([tool.Tool], SmallBreaker, time);
        for (var i = 0; i < 5; i++)
        {
            await host.RunAsync(tool.Name);
        }
        Volatile.Write(ref recovered, true);

        var whileOpen = await host.RunAsync(tool.Name);
        time.Advance(TimeSpan.FromSeconds(16));
        var trial = await host.RunAsync(tool.Name);
        var next = await host.RunAsync(tool.Name);

        whileOpen.IsError.ShouldBeTrue();
        trial.ResultJson.ShouldBe("\"back\"");
        next.ResultJson.ShouldBe("\"back\"");
        tool.Invocations.ShouldBe(6);
    }

    [Fact]
    public async Task The_breaker_state_of_a_flaky_tool_is_exported_as_a_gauge_through_open_half_open_and_closed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var healthy = false;
        var tool = new ScriptedTool("flaky-" + Guid.NewGuid().ToString("N")[..8], (_, _, _) => Volatile.Read(ref healthy) ? Task.FromResult("ok") : throw new IOException("connection reset"), retryable: false);
        await using var host = await ToolHost.StartAsync([tool.Tool], SmallBreaker, time);
        using var gauge = new CircuitGauge();

        await host.RunAsync(tool.Name);
        var closed = gauge.Read(tool.Name);
        for (var i = 0; i < 4; i++)
        {
            await host.RunAsync(tool.Name);
        }
        var open = gauge.Read(tool.Name);
        var shortCircuited = tool.Invocations;
        await host.RunAsync(tool.Name);
        var callsWhileOpen = tool.Invocations - shortCircuited;
        Volatile.Write(ref healthy, true);
        time.Advance(TimeSpan.FromSeconds(16));
        var afterBreak = gauge.Read(tool.Name);
        await host.RunAsync(tool.Name);
        var recovered = gauge.Read(tool.Name);

        closed.ShouldBe(0);
        open.ShouldBe(1);
        callsWhileOpen.ShouldBe(0);
        afterBreak.ShouldBeOneOf(1, 2);
        recovered.ShouldBe(0);
    }

    [Fact]
    public async Task Tool_results_never_reach_the_logs_and_successful_calls_log_below_Information()
    {
        var tool = new ScriptedTool("private", (n, _, _) => n == 1 ? throw new IOException("connection reset") : Task.FromResult("the-secret-answer"));
        using var logs = new CapturedLogs();
        await using var host = await ToolHost.StartAsync([tool.Tool], NoDelay, logs: logs);

        var result = await host.RunAsync(tool.Name);

        result.ResultJson.ShouldBe("\"the-secret-answer\"");
        var polly = logs.Entries.Where(e => e.Category == "Polly").ToList();
        polly.ShouldContain(e => e.Level == LogLevel.Warning && e.Message.Contains("connection reset", StringComparison.Ordinal));
        polly.ShouldContain(e => e.Message.Contains("(result not logged)", StringComparison.Ordinal));
        logs.Entries.ShouldNotContain(e => e.Message.Contains("the-secret-answer", StringComparison.Ordinal));
        polly.Where(e => e.Level == LogLevel.Information).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_total_budget_beyond_the_turns_wait_for_tool_results_stops_start_up()
    {
        var error = await Should.ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            ToolHost.StartAsync([ScriptedTool.Echo("any").Tool], new Dictionary<string, string?>
            {
                ["SomaAgent:Tools:Resilience:TotalTimeoutSeconds"] = "90",
            }));

        error.Message.ShouldContain("SomaAgent:Tools:Resilience:TotalTimeoutSeconds is 90");
        error.Message.ShouldContain("SomaAgent:Conversations:ToolResultTimeoutSeconds = 60");
    }

    [Fact]
    public async Task Out_of_range_breaker_settings_stop_start_up_naming_the_setting()
    {
        var error = await Should.ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            ToolHost.StartAsync([ScriptedTool.Echo("any").Tool], new Dictionary<string, string?>
            {
                ["SomaAgent:Tools:Resilience:CircuitBreaker:MinimumThroughput"] = "1",
            }));

        error.Message.ShouldContain("MinimumThroughput");
    }

    /// <summary>Opens after 4 calls at 50 % failures, stays open 15 s; no retries or back-off in the way.</summary>
    private static Dictionary<string, string?> SmallBreaker => new()
    {
        ["SomaAgent:Tools:Resilience:RetryDelayMs"] = "0",
        ["SomaAgent:Tools:Resilience:CircuitBreaker:MinimumThroughput"] = "4",
        ["SomaAgent:Tools:Resilience:CircuitBreaker:FailureRatio"] = "0.5",
        ["SomaAgent:Tools:Resilience:CircuitBreaker:BreakDurationSeconds"] = "15",
    };

    private static string Error(string resultJson)
    {
        using var document = JsonDocument.Parse(resultJson);
        return document.RootElement.GetProperty("error").GetString()!;
    }
}

/// <summary>
/// Reads <c>somaagent.tool.circuit.state</c> as an exporter would. The gauge is one per process, over every host's
/// breakers: tests read the tools they named uniquely.
/// </summary>
internal sealed class CircuitGauge : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly Dictionary<string, int> _states = new(StringComparer.Ordinal);

    public CircuitGauge()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == SomaAgent.Engine.Tools.Resilience.ToolResiliencePipelines.CircuitStateMetric)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "tool" && tag.Value is string tool)
                {
                    _states[tool] = value;
                }
            }
        });
        _listener.Start();
    }

    public int? Read(string tool)
    {
        _states.Clear();
        _listener.RecordObservableInstruments();
        return _states.TryGetValue(tool, out var state) ? state : null;
    }

    public void Dispose() => _listener.Dispose();
}

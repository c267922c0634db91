using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Repository;

/// <summary>
/// <c>eng/trx-totals.py</c>, which ends every test run with the one line CI reads. CI keeps only the tail of a
/// log, so the failed tests are named there too, just above that line.
/// </summary>
public sealed class TestTotalsTests : IDisposable
{
    private readonly DirectoryInfo _results = Directory.CreateTempSubdirectory("somaagent-trx-");

    [Fact]
    public async Task Totals_are_the_last_line_and_count_every_outcome()
    {
        WriteTrx("a.trx", Passed("A.One"), Passed("A.Two"), Skipped("A.Three"));
        WriteTrx("b.trx", Failed("B.Four", "boom"));

        var (exitCode, output) = await RunAsync();

        exitCode.ShouldBe(1);
        Lines(output)[^1].ShouldBe("2 passed, 1 failed, 1 skipped");
    }

    [Fact]
    public async Task A_failed_test_is_named_with_the_start_of_its_message_above_the_totals()
    {
        WriteTrx("a.trx", Passed("A.One"), Failed("A.Breaks", "Shouldly.ShouldAssertException : status\n    should be\n200\n    but was\n503\nline 6\nline 7 is cut"));

        var (_, output) = await RunAsync();

        var lines = Lines(output);
        lines[0].ShouldStartWith("failed test: A.Breaks (Failed");
        lines[1..^1].ShouldBe(["    Shouldly.ShouldAssertException : status", "        should be", "    200", "        but was", "    503", "    line 6"]);
        lines[^1].ShouldBe("1 passed, 1 failed");
    }

    [Fact]
    public async Task A_clean_run_exits_zero_and_prints_only_the_totals()
    {
        WriteTrx("a.trx", Passed("A.One"));

        var (exitCode, output) = await RunAsync();

        exitCode.ShouldBe(0);
        Lines(output).ShouldBe(["1 passed, 0 failed"]);
    }

    public void Dispose() => _results.Delete(recursive: true);

    private Task<(int ExitCode, string Output)> RunAsync() =>
        CommandLine.RunAsync("python3", RepoPaths.Root, "eng/trx-totals.py", _results.FullName);

    private static string[] Lines(string output) => output.TrimEnd('\n').Split('\n');

    private void WriteTrx(string name, params string[] results) =>
        File.WriteAllText(Path.Combine(_results.FullName, name), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><Results>
            {string.Concat(results)}
            </Results></TestRun>
            """);

    private static string Passed(string test) => $"""<UnitTestResult testName="{test}" outcome="Passed" duration="00:00:01" />""";

    private static string Skipped(string test) => $"""<UnitTestResult testName="{test}" outcome="NotExecuted" />""";

    private static string Failed(string test, string message) =>
        $"""<UnitTestResult testName="{test}" outcome="Failed" duration="00:00:02"><Output><ErrorInfo><Message>{System.Security.SecurityElement.Escape(message)}</Message></ErrorInfo></Output></UnitTestResult>""";
}

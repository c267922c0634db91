using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SomaAgent.Bench.Statements;

/// <summary>
/// The statement list of one agent run (docs/benchmarks.md): a gateway started with EF Core's command and
/// transaction log on (JSON console lines), a few warm-up runs, then runs one after another by one client; every
/// statement the runs caused is read back from the log and counted by table and kind, per run. Statements that
/// belong to time rather than to runs (lease renewals, the key revocation watcher) are counted too, and named.
/// </summary>
internal static partial class StatementsBench
{
    public const string Scenario = "statements";

    private const int CommandExecuted = 20101;
    private const int TransactionStarted = 20200;
    private const int TransactionCommitted = 20202;
    private const int ConnectionOpened = 20001;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.WriteLine("""
                SomaAgent.Bench statements: the statements one agent run sends to the store, by table and kind.

                  --runs N                 runs counted (default 20), after 3 warm-up runs
                  --clients N              clients running them at once (default 1: one run at a time)
                  --store sqlite|postgres  the gateway's store (default sqlite)
                  --postgres CONN          PostgreSQL connection string (eng/bench.sh starts a private one)
                  --redis private          give the gateway a private redis-server and count its commands too
                  --gateway-dll PATH       another build of the gateway (e.g. an older commit's, for a before/after list)
                  --input TEXT             the session input (default "What is 12*(3+4)?")
                """);
            return 0;
        }
        var runs = 20;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--runs" && i + 1 < args.Count)
            {
                runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else
            {
                rest.Add(args[i]);
            }
        }
        var options = BenchOptions.Parse([.. rest.Contains("--clients") ? [] : (string[])["--clients", "1"], .. rest, "--warmup", "0"]) with
        {
            ServerEnvironment =
            [
                new("Logging__Console__FormatterName", "json"),
                new("Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command", "Information"),
                new("Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Transaction", "Debug"),
                new("Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Connection", "Debug"),
            ],
        };

        await using var redis = options.Redis == "private" ? await RedisProcess.StartAsync(CancellationToken.None) : null;
        await using var gateway = await ServiceProcess.StartGatewayAsync(options, CancellationToken.None, redis?.ConnectionString ?? options.Redis);
        using var http = BenchHttp.CreateClient(gateway.BaseAddress, 1, gateway.ApiKey);
        var runner = new LoadRunner(http, options.Profile);
        var warmup = await runner.RunPhaseAsync(3, TimeSpan.FromSeconds(30), CancellationToken.None);
        await Task.Delay(200);
        var from = new FileInfo(gateway.LogPath).Length;
        var redisBefore = redis is null ? null : await redis.CommandCountsAsync();
        var measured = await runner.RunPhaseAsync(runs, TimeSpan.FromSeconds(120), CancellationToken.None);
        await Task.Delay(200);
        var redisAfter = redis is null ? null : await redis.CommandCountsAsync();
        if (warmup.ErrorTotal + measured.ErrorTotal > 0 || measured.Completed != runs)
        {
            Console.Error.WriteLine($"statements: {measured.Completed} of {runs} runs completed, {warmup.ErrorTotal + measured.ErrorTotal} errors");
            return 1;
        }

        var list = Read(gateway.LogPath, from);
        Console.WriteLine(list.ToMarkdown(options.Store.ToString().ToLowerInvariant(), runs, options.Clients));
        if (redisBefore is not null && redisAfter is not null)
        {
            Console.WriteLine(RedisMarkdown(redisBefore, redisAfter, runs));
        }
        return 0;
    }

    /// <summary>Redis commands per run, from the server's own counters; the two INFO calls of the bench itself left out.</summary>
    private static string RedisMarkdown(Dictionary<string, long> before, Dictionary<string, long> after, int runs)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"Redis commands per agent run ({runs} runs, INFO commandstats):");
        text.AppendLine();
        text.AppendLine("| command | per run |");
        text.AppendLine("|---|---:|");
        var total = 0.0;
        foreach (var (command, calls) in after.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var count = calls - before.GetValueOrDefault(command) - (command == "info" ? 1 : 0);
            if (count > 0)
            {
                total += (double)count / runs;
                text.AppendLine(c, $"| {command} | {(double)count / runs:0.##} |");
            }
        }
        text.AppendLine(c, $"| **all commands** | **{total:0.##}** |");
        return text.ToString();
    }

    private static StatementList Read(string logPath, long from)
    {
        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(from, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var list = new StatementList();
        while (reader.ReadLine() is { } line)
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }
            using var entry = JsonDocument.Parse(line);
            var root = entry.RootElement;
            switch (root.GetProperty("EventId").GetInt32())
            {
                case CommandExecuted when root.GetProperty("State").TryGetProperty("commandText", out var text):
                    list.AddCommand(text.GetString()!);
                    break;
                case TransactionStarted:
                    list.Transactions++;
                    break;
                case TransactionCommitted:
                    list.Commits++;
                    break;
                case ConnectionOpened:
                    list.Opens++;
                    break;
            }
        }
        return list;
    }

    private sealed partial class StatementList
    {
        private readonly Dictionary<(string Kind, string Table), (int Statements, int Rows)> _statements = [];

        public int Commands { get; private set; }
        public int Transactions { get; set; }
        public int Commits { get; set; }
        public int Opens { get; set; }

        public void AddCommand(string text)
        {
            Commands++;
            foreach (var statement in StatementEnd().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0))
            {
                var (kind, table, rows) = Classify(statement);
                var (statements, rowsSoFar) = _statements.GetValueOrDefault((kind, table));
                _statements[(kind, table)] = (statements + 1, rows < 0 || rowsSoFar < 0 ? -1 : rowsSoFar + rows);
            }
        }

        public string ToMarkdown(string store, int runs, int clients)
        {
            var text = new StringBuilder();
            var c = CultureInfo.InvariantCulture;
            text.AppendLine(c, $"Statements per agent run, {store}, {runs} runs by {clients} client(s) (EF Core command log):");
            text.AppendLine();
            text.AppendLine("| statement | table | per run | rows per run |");
            text.AppendLine("|---|---|---:|---:|");
            foreach (var ((kind, table), (count, rows)) in _statements.OrderBy(s => Order(s.Key.Kind)).ThenBy(s => s.Key.Table, StringComparer.Ordinal))
            {
                text.AppendLine(c, $"| {kind} | {table} | {(double)count / runs:0.##} | {(kind != "INSERT" ? "" : rows < 0 ? "arrays" : ((double)rows / runs).ToString("0.##", c))} |");
            }
            text.AppendLine(c, $"| **all statements** | | **{(double)_statements.Values.Sum(s => s.Statements) / runs:0.##}** | |");
            text.AppendLine(c, $"| round trips (commands) | | {(double)Commands / runs:0.##} | |");
            text.AppendLine(c, $"| explicit transactions (begun / committed) | | {(double)Transactions / runs:0.##} / {(double)Commits / runs:0.##} | |");
            text.AppendLine(c, $"| connection opens (from the pool) | | {(double)Opens / runs:0.##} | |");
            return text.ToString();
        }

        private static int Order(string kind) => kind switch
        {
            "SELECT" => 0,
            "INSERT" => 1,
            "UPDATE" => 2,
            "DELETE" => 3,
            _ => 4,
        };

        private static (string Kind, string Table, int Rows) Classify(string statement)
        {
            var kind = statement.Split((char[])[' ', '\n', '\r', '\t'], 2)[0].ToUpperInvariant();
            var table = kind switch
            {
                "SELECT" => FromTable().Match(statement) is { Success: true } m ? m.Groups[1].Value : "-",
                "INSERT" => IntoTable().Match(statement) is { Success: true } m ? m.Groups[1].Value : "-",
                "UPDATE" => UpdateTable().Match(statement) is { Success: true } m ? m.Groups[1].Value : "-",
                "DELETE" => FromTable().Match(statement) is { Success: true } m ? m.Groups[1].Value : "-",
                _ => "-",
            };
            // Rows bound as arrays (PostgreSQL's unnest) are not in the text: -1 marks them, shown as "arrays".
            return (kind, table, kind != "INSERT" ? 0 : statement.Contains("unnest(", StringComparison.Ordinal) ? -1 : ValuesRows().Count(statement) + 1);
        }

        [GeneratedRegex(@";\s*(?:\r?\n|$)")]
        private static partial Regex StatementEnd();

        [GeneratedRegex(@"\bFROM\s+""?(\w+)""?", RegexOptions.IgnoreCase)]
        private static partial Regex FromTable();

        [GeneratedRegex(@"\bINTO\s+""?(\w+)""?", RegexOptions.IgnoreCase)]
        private static partial Regex IntoTable();

        [GeneratedRegex(@"^UPDATE\s+""?(\w+)""?", RegexOptions.IgnoreCase)]
        private static partial Regex UpdateTable();

        [GeneratedRegex(@"\)\s*,\s*\(", RegexOptions.None)]
        private static partial Regex ValuesRows();
    }
}

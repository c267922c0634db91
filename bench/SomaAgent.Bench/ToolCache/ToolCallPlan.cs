using System.Globalization;
using System.Text.Json;

namespace SomaAgent.Bench.ToolCache;

/// <summary>One session of the plan: its id, its tenant, and the worker host its calls go to.</summary>
internal sealed record PlannedSession(Guid Id, string TenantId, int Host);

/// <summary>One call of the plan: indexes into <see cref="ToolCallPlan.Sessions"/> and <see cref="ToolCallPlan.Arguments"/>.</summary>
internal readonly record struct PlannedCall(int Session, int Expression);

/// <summary>
/// Every call the scenario makes, fixed before it starts from one seeded <see cref="Random"/>, so a run is
/// repeatable and the workers' interleaving cannot change what is asked. Expressions are drawn from a Zipf
/// distribution (rank k has weight 1/k^s), the shape of real traffic: a few questions are asked very often and
/// a long tail rarely. Sessions are drawn uniformly, each belonging to one tenant and, as Kafka's partitioning
/// by session id would do, to one worker host.
/// </summary>
internal sealed class ToolCallPlan
{
    private ToolCallPlan(string[] arguments, PlannedSession[] sessions, PlannedCall[] calls)
    {
        Arguments = arguments;
        Sessions = sessions;
        Calls = calls;
    }

    /// <summary>The calculator's arguments JSON of each distinct expression, by popularity rank.</summary>
    public IReadOnlyList<string> Arguments { get; }

    public IReadOnlyList<PlannedSession> Sessions { get; }

    public IReadOnlyList<PlannedCall> Calls { get; }

    /// <summary>Distinct (tenant, expression) pairs: the misses no cache can avoid (its first sight of each key).</summary>
    public int UniqueKeys => Calls.Select(c => (Sessions[c.Session].TenantId, c.Expression)).Distinct().Count();

    public static ToolCallPlan Create(int seed, int calls, int distinct, double zipf, int sessions, int tenants, int hosts, string tenantPrefix)
    {
        var random = new Random(seed);
        var arguments = Expressions(random, distinct)
            .Select(e => JsonSerializer.Serialize(new CalculatorArguments(e), BenchJsonContext.Default.CalculatorArguments))
            .ToArray();

        var plannedSessions = new PlannedSession[sessions];
        Span<byte> id = stackalloc byte[16];
        for (var i = 0; i < sessions; i++)
        {
            random.NextBytes(id);
            var tenant = $"{tenantPrefix}{random.Next(tenants).ToString(CultureInfo.InvariantCulture)}";
            plannedSessions[i] = new PlannedSession(new Guid(id), tenant, random.Next(hosts));
        }

        var cumulative = ZipfCumulative(distinct, zipf);
        var plannedCalls = new PlannedCall[calls];
        for (var i = 0; i < calls; i++)
        {
            plannedCalls[i] = new PlannedCall(random.Next(sessions), Rank(cumulative, random.NextDouble()));
        }
        return new ToolCallPlan(arguments, plannedSessions, plannedCalls);
    }

    /// <summary><paramref name="count"/> distinct expressions of the form <c>(a op b) op c</c>, never dividing by zero.</summary>
    private static List<string> Expressions(Random random, int count)
    {
        const string Operators = "+-*/";
        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        var expressions = new List<string>(count);
        while (expressions.Count < count)
        {
            var expression = string.Create(CultureInfo.InvariantCulture,
                $"({random.Next(1, 1000)} {Operators[random.Next(4)]} {random.Next(1, 1000)}) {Operators[random.Next(4)]} {random.Next(1, 1000)}");
            if (seen.Add(expression))
            {
                expressions.Add(expression);
            }
        }
        return expressions;
    }

    /// <summary>The cumulative Zipf(s) distribution over ranks 1..n, normalized to end at 1.</summary>
    private static double[] ZipfCumulative(int n, double s)
    {
        var cumulative = new double[n];
        var total = 0.0;
        for (var k = 0; k < n; k++)
        {
            total += 1.0 / Math.Pow(k + 1, s);
            cumulative[k] = total;
        }
        for (var k = 0; k < n; k++)
        {
            cumulative[k] /= total;
        }
        return cumulative;
    }

    /// <summary>The first rank whose cumulative probability reaches <paramref name="u"/> (inverse-CDF sampling).</summary>
    private static int Rank(double[] cumulative, double u)
    {
        var index = Array.BinarySearch(cumulative, u);
        return Math.Min(index >= 0 ? index : ~index, cumulative.Length - 1);
    }
}

/// <summary>The calculator tool's arguments.</summary>
internal sealed record CalculatorArguments(string Expression);

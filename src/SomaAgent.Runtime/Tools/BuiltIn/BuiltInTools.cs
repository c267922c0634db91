using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Runtime.Tools.BuiltIn;

/// <summary>
/// The tools every deployment has: <c>calculator</c>, <c>clock</c> and <c>memory</c>. None of them touches
/// the network; <c>memory</c> keeps its values per session in the session store.
/// </summary>
public static class BuiltInTools
{
    public const string Calculator = "calculator";
    public const string Clock = "clock";
    public const string Memory = "memory";

    public const int MaxMemoryKeys = 100;
    public const int MaxMemoryKeyLength = 128;
    public const int MaxMemoryValueLength = 4096;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CalculatorCacheDuration = TimeSpan.FromHours(1);

    public static IEnumerable<AgentTool> Create()
    {
        yield return new AgentTool(
            AIFunctionFactory.Create(Calculate, Calculator,
                "Evaluates an arithmetic expression exactly and returns the number. Supports + - * / % ^, parentheses, "
                + "pi, e and sqrt, abs, round, floor, ceil, ln, log10, sin, cos, tan, min, max, pow."),
            "builtin",
            DefaultTimeout)
        {
            Retryable = true,
            // A pure function: any lifetime is correct; the hour only bounds what the cache holds.
            ResultCacheDuration = CalculatorCacheDuration,
        };
        yield return new AgentTool(
            AIFunctionFactory.Create(Now, Clock,
                "Returns the current date and time in UTC and, when an IANA or Windows time zone is given, in that zone."),
            "builtin",
            DefaultTimeout)
        {
            // A read, so safe to repeat; never cached, since the answer changes every moment.
            Retryable = true,
        };
        yield return new AgentTool(
            AIFunctionFactory.Create(RememberAsync, Memory,
                "A key-value memory private to this session: action 'set' stores value under key, 'get' reads it, "
                + "'delete' removes it, 'list' returns every key."),
            "builtin",
            DefaultTimeout)
        {
            // set and delete leave the same state when repeated; never cached, since values change between calls.
            Retryable = true,
        };
    }

    private static CalculatorResult Calculate(
        [Description("The arithmetic expression, for example \"(12 + 30) * 2\".")] string expression) =>
        new(expression, ArithmeticExpression.Evaluate(expression));

    private static ClockResult Now(
        IServiceProvider services,
        [Description("Optional time zone id, for example \"Europe/Paris\". Omit for UTC only.")] string? timezone = null)
    {
        var utc = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (string.IsNullOrWhiteSpace(timezone))
        {
            return new ClockResult(utc.ToString("O", CultureInfo.InvariantCulture), null, null);
        }
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out var zone))
        {
            throw new ArgumentException($"Unknown time zone '{timezone}'.", nameof(timezone));
        }
        var local = TimeZoneInfo.ConvertTime(utc, zone);
        return new ClockResult(utc.ToString("O", CultureInfo.InvariantCulture), zone.Id, local.ToString("O", CultureInfo.InvariantCulture));
    }

    private static async Task<MemoryResult> RememberAsync(
        AIFunctionArguments arguments,
        IServiceProvider services,
        [Description("One of: set, get, delete, list.")] string action,
        [Description("The key (required except for list).")] string? key = null,
        [Description("The value to store (set only).")] string? value = null,
        CancellationToken cancellationToken = default)
    {
        var context = arguments.Context?[typeof(ToolInvocationContext)] as ToolInvocationContext
            ?? throw new InvalidOperationException("The memory tool runs only inside a session.");
        var factory = services.GetRequiredService<IDbContextFactory<SessionDbContext>>();
        var time = services.GetRequiredService<TimeProvider>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entries = db.ToolMemory.Where(m => m.SessionId == context.SessionId);

        switch (action.Trim().ToLowerInvariant())
        {
            case "list":
                var keys = await entries.OrderBy(m => m.Key).Select(m => m.Key).ToListAsync(cancellationToken);
                return new MemoryResult("list", null, null, keys);
            case "get":
                var wanted = RequireKey(key);
                var found = await entries.FirstOrDefaultAsync(m => m.Key == wanted, cancellationToken);
                return new MemoryResult("get", wanted, found?.Value, null);
            case "delete":
                var forgotten = RequireKey(key);
                await entries.Where(m => m.Key == forgotten).ExecuteDeleteAsync(cancellationToken);
                return new MemoryResult("delete", forgotten, null, null);
            case "set":
                var requiredKey = RequireKey(key);
                if (value is null || value.Length > MaxMemoryValueLength)
                {
                    throw new ArgumentException($"'set' needs a value of at most {MaxMemoryValueLength} characters.", nameof(value));
                }
                var existing = await entries.FirstOrDefaultAsync(m => m.Key == requiredKey, cancellationToken);
                if (existing is null)
                {
                    if (await entries.CountAsync(cancellationToken) >= MaxMemoryKeys)
                    {
                        throw new InvalidOperationException($"This session's memory is full ({MaxMemoryKeys} keys); delete one first.");
                    }
                    db.ToolMemory.Add(new ToolMemoryRecord
                    {
                        SessionId = context.SessionId,
                        TenantId = context.TenantId,
                        Key = requiredKey,
                        Value = value,
                        UpdatedAt = time.GetUtcNow().UtcDateTime,
                    });
                }
                else
                {
                    existing.Value = value;
                    existing.UpdatedAt = time.GetUtcNow().UtcDateTime;
                }
                await db.SaveChangesAsync(cancellationToken);
                return new MemoryResult("set", requiredKey, value, null);
            default:
                throw new ArgumentException($"Unknown action '{action}'; use set, get, delete or list.", nameof(action));
        }
    }

    private static string RequireKey(string? key) =>
        string.IsNullOrWhiteSpace(key) || key.Length > MaxMemoryKeyLength
            ? throw new ArgumentException($"A key of 1 to {MaxMemoryKeyLength} characters is required.", nameof(key))
            : key.Trim();

    private sealed record CalculatorResult(
        [property: JsonPropertyName("expression")] string Expression,
        [property: JsonPropertyName("result")] double Result);

    private sealed record ClockResult(
        [property: JsonPropertyName("utc")] string Utc,
        [property: JsonPropertyName("timezone")] string? Timezone,
        [property: JsonPropertyName("local")] string? Local);

    private sealed record MemoryResult(
        [property: JsonPropertyName("action")] string Action,
        [property: JsonPropertyName("key")] string? Key,
        [property: JsonPropertyName("value")] string? Value,
        [property: JsonPropertyName("keys")] IReadOnlyList<string>? Keys);
}

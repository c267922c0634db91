using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using SomaAgent.Runtime.Tools.BuiltIn;

namespace SomaAgent.Runtime.Models;

/// <summary>
/// The built-in model: <b>simulated</b>, not a language model. It plans from the latest user message by fixed,
/// documented rules (docs/models-and-tools.md) and streams its answer word by word:
/// <list type="number">
/// <item>If tool results follow the latest user message, it answers from them.</item>
/// <item>A line "call TOOL {json}" (or "call TOOL") calls that tool with that JSON object as arguments; several
/// such lines call several tools in one step. This reaches any tool, e.g. one of an MCP server.</item>
/// <item>An offered tool without a rule of its own (a client's tool, say) is called when the latest user message
/// names it, or when the tool mode requires that tool; its arguments are the first JSON object in the message, or <c>{}</c>.</item>
/// <item>"remember [that] [my] KEY is VALUE" calls <c>memory</c> set; "what is my KEY" / "recall KEY" calls <c>memory</c> get.</item>
/// <item>An arithmetic expression (digits with operators, functions, or the words plus/minus/times/divided by)
/// calls <c>calculator</c>; a question about the time or date calls <c>clock</c> (both when both are asked).</item>
/// <item>Otherwise it says what it heard and what it can do.</item>
/// </list>
/// Tools are called only when the request offers them, and never with <see cref="ChatToolMode.None"/>. It stops
/// after <see cref="ChatOptions.MaxOutputTokens"/> words (finish reason length). It reports usage by a documented
/// approximation: one input token per 4 characters of the prompt, one output token per streamed word (or per 4
/// characters of the tool calls). Timing comes from <see cref="SimulatedModelOptions"/>.
/// </summary>
public sealed partial class SimulatedChatClient(SimulatedModelOptions timing, TimeProvider timeProvider) : IChatClient
{
    public const string ModelId = "soma-simulated-1";

    private static readonly ChatClientMetadata Metadata = new("somaagent-simulated", null, ModelId);

    /// <summary>The tools with rules of their own; any other offered tool is called when the user names it.</summary>
    private static readonly HashSet<string> RuleTools = [BuiltInTools.Calculator, BuiltInTools.Clock, BuiltInTools.Memory];

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var history = messages.ToList();
        var responseId = $"sim-{Guid.NewGuid():N}";
        var offered = options?.ToolMode is NoneChatToolMode
            ? []
            : (options?.Tools ?? []).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputTokens = ApproximateTokens(history.Sum(PromptLength));

        var calls = PlanToolCalls(history, offered, (options?.ToolMode as RequiredChatToolMode)?.RequiredFunctionName);
        if (calls.Count > 0)
        {
            await DelayAsync(timing.ToolCallPauseMs, cancellationToken);
            var callTokens = ApproximateTokens(calls.Sum(c => c.Name.Length + JsonSerializer.Serialize(c.Arguments, AIJsonUtilities.DefaultOptions).Length));
            yield return new ChatResponseUpdate(ChatRole.Assistant, [.. calls, Usage(inputTokens, callTokens)])
            {
                ResponseId = responseId,
                ModelId = ModelId,
                FinishReason = ChatFinishReason.ToolCalls,
            };
            yield break;
        }

        var text = ComposeAnswer(history);
        var limit = options?.MaxOutputTokens ?? int.MaxValue;
        var words = 0;
        var finish = ChatFinishReason.Stop;
        foreach (Match piece in Words().Matches(text))
        {
            if (words == limit)
            {
                finish = ChatFinishReason.Length;
                break;
            }
            await DelayAsync(words == 0 ? timing.TimeToFirstTokenMs : timing.TimePerTokenMs, cancellationToken);
            words++;
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece.Value) { ResponseId = responseId, ModelId = ModelId };
        }
        yield return new ChatResponseUpdate(ChatRole.Assistant, [Usage(inputTokens, words)]) { ResponseId = responseId, ModelId = ModelId, FinishReason = finish };
    }

    /// <summary>The documented approximation of a tokenizer: one token per 4 characters, rounded up.</summary>
    public static long ApproximateTokens(long characters) => (characters + 3) / 4;

    private static UsageContent Usage(long input, long output) =>
        new(new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output });

    private static long PromptLength(ChatMessage message) => message.Contents.Sum(content => content switch
    {
        TextContent text => (long)text.Text.Length,
        FunctionCallContent call => call.Name.Length + JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions).Length,
        FunctionResultContent result => JsonSerializer.Serialize(result.Result, AIJsonUtilities.DefaultOptions).Length,
        _ => 0L,
    });

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private Task DelayAsync(int milliseconds, CancellationToken cancellationToken) =>
        milliseconds <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromMilliseconds(milliseconds), timeProvider, cancellationToken);

    private static List<FunctionCallContent> PlanToolCalls(List<ChatMessage> history, HashSet<string> offered, string? required)
    {
        var lastUser = history.FindLastIndex(m => m.Role == ChatRole.User);
        if (lastUser < 0 || history.Skip(lastUser + 1).Any(m => m.Contents.OfType<FunctionResultContent>().Any()))
        {
            return [];
        }
        var text = history[lastUser].Text.Trim();
        var calls = ExplicitCalls(text, offered);
        if (calls.Count > 0)
        {
            return calls;
        }

        var named = offered
            .Where(name => !RuleTools.Contains(name) && (name == required || Regex.IsMatch(text, $@"(?<![\w-]){Regex.Escape(name)}(?![\w-])")))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (named.Count > 0)
        {
            var arguments = FirstJsonObject(text);
            calls.AddRange(named.Select(name => Call(name, new Dictionary<string, object?>(arguments))));
            return calls;
        }

        if (offered.Contains(BuiltInTools.Memory))
        {
            if (RememberPattern().Match(text) is { Success: true } remember)
            {
                calls.Add(Call(BuiltInTools.Memory, new() { ["action"] = "set", ["key"] = remember.Groups["key"].Value.Trim(), ["value"] = remember.Groups["value"].Value.Trim() }));
                return calls;
            }
            if (RecallPattern().Match(text) is { Success: true } recall)
            {
                calls.Add(Call(BuiltInTools.Memory, new() { ["action"] = "get", ["key"] = recall.Groups["key"].Value.Trim() }));
                return calls;
            }
        }
        if (offered.Contains(BuiltInTools.Calculator) && FindExpression(text) is { } expression)
        {
            calls.Add(Call(BuiltInTools.Calculator, new() { ["expression"] = expression }));
        }
        if (offered.Contains(BuiltInTools.Clock) && TimeQuestion().IsMatch(text))
        {
            var zone = TimeZoneMention().Match(text);
            calls.Add(zone.Success
                ? Call(BuiltInTools.Clock, new() { ["timezone"] = zone.Groups["zone"].Value })
                : Call(BuiltInTools.Clock, []));
        }
        return calls;
    }

    /// <summary>The properties of the first JSON object written in the text, or none.</summary>
    internal static Dictionary<string, object?> FirstJsonObject(string text)
    {
        for (var start = text.IndexOf('{', StringComparison.Ordinal); start >= 0; start = text.IndexOf('{', start + 1))
        {
            try
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text[start..]));
                using var document = JsonDocument.ParseValue(ref reader);
                return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
            }
            catch (JsonException)
            {
                // Not JSON from this brace: try the next one.
            }
        }
        return [];
    }

    /// <summary>Every "call TOOL {json}" line naming an offered tool, with a JSON object (or nothing) as arguments.</summary>
    private static List<FunctionCallContent> ExplicitCalls(string text, HashSet<string> offered)
    {
        var calls = new List<FunctionCallContent>();
        foreach (Match line in CallLine().Matches(text))
        {
            var tool = line.Groups["tool"].Value;
            if (!offered.Contains(tool))
            {
                continue;
            }
            var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (line.Groups["args"].Success)
            {
                try
                {
                    using var document = JsonDocument.Parse(line.Groups["args"].Value);
                    foreach (var property in document.RootElement.EnumerateObject())
                    {
                        arguments[property.Name] = property.Value.Clone();
                    }
                }
                catch (JsonException)
                {
                    continue;
                }
            }
            calls.Add(Call(tool, arguments));
        }
        return calls;
    }

    /// <summary>The longest span of the text that is a valid arithmetic expression with an operation in it.</summary>
    internal static string? FindExpression(string text)
    {
        var normalized = NumberWords().Replace(text, match => Spaces().Replace(match.Value.Trim(), " ").ToLowerInvariant() switch
        {
            "plus" => " + ",
            "minus" => " - ",
            "times" or "multiplied by" or "x" => " * ",
            "divided by" or "over" => " / ",
            "to the power of" => " ^ ",
            "mod" or "modulo" => " % ",
            _ => match.Value,
        });
        string? best = null;
        foreach (Match candidate in ExpressionCandidate().Matches(normalized))
        {
            var expression = candidate.Value.Trim().TrimEnd('+', '-', '*', '/', '%', '^', ',', '.').Trim();
            if (!expression.Any(char.IsDigit) || !HasOperation().IsMatch(expression) || DateLike().IsMatch(expression))
            {
                continue;
            }
            try
            {
                ArithmeticExpression.Evaluate(expression);
            }
            catch (Exception ex) when (ex is FormatException or ArithmeticException)
            {
                continue;
            }
            if (best is null || expression.Length > best.Length)
            {
                best = expression;
            }
        }
        return best;
    }

    private static string ComposeAnswer(List<ChatMessage> history)
    {
        var lastUser = history.FindLastIndex(m => m.Role == ChatRole.User);
        var results = history.Skip(lastUser + 1).SelectMany(m => m.Contents.OfType<FunctionResultContent>()).ToList();
        if (results.Count > 0)
        {
            var calls = history.SelectMany(m => m.Contents.OfType<FunctionCallContent>()).ToDictionary(c => c.CallId, c => c.Name, StringComparer.Ordinal);
            return string.Join(" ", results.Select(r => Describe(calls.GetValueOrDefault(r.CallId, "tool"), r.Result)));
        }
        var said = lastUser >= 0 ? history[lastUser].Text.Trim() : "";
        return said.Length == 0
            ? "I am SomaAgent's built-in simulated model. Ask me to calculate something, for the time, or to remember something."
            : $"You said: \"{said}\". I am SomaAgent's built-in simulated model: ask me to calculate something (\"what is 6 * 7?\"), for the time, or to remember something.";
    }

    private static string Describe(string tool, object? result)
    {
        JsonElement json;
        try
        {
            json = result switch
            {
                JsonElement element => element,
                string s => JsonDocument.Parse(s).RootElement.Clone(),
                _ => JsonSerializer.SerializeToElement(result, AIJsonUtilities.DefaultOptions),
            };
        }
        catch (JsonException)
        {
            return $"The {tool} tool returned: {result}.";
        }
        if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var error))
        {
            return $"The {tool} tool failed: {error.GetString()}";
        }
        string? Text(string name) => json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var p) && p.ValueKind != JsonValueKind.Null
            ? (p.ValueKind == JsonValueKind.String ? p.GetString() : p.GetRawText())
            : null;

        return tool switch
        {
            BuiltInTools.Calculator when json.ValueKind == JsonValueKind.Object && json.TryGetProperty("result", out var value) && value.TryGetDouble(out var number) =>
                $"{Text("expression")} = {number.ToString("R", CultureInfo.InvariantCulture)}.",
            BuiltInTools.Clock => Text("local") is { } local
                ? $"It is {Text("utc")} UTC, which is {local} in {Text("timezone")}."
                : $"It is {Text("utc")} UTC.",
            BuiltInTools.Memory => Text("action") switch
            {
                "set" => $"I will remember that {Text("key")} is {Text("value")}.",
                "get" => Text("value") is { } remembered ? $"Your {Text("key")} is {remembered}." : $"I have nothing stored under {Text("key")}.",
                "list" => $"I remember: {Text("keys")}.",
                _ => $"Done: {json.GetRawText()}.",
            },
            _ => $"The {tool} tool returned {json.GetRawText()}.",
        };
    }

    private static FunctionCallContent Call(string name, Dictionary<string, object?> arguments) =>
        new($"call_{Guid.NewGuid():N}"[..29], name, arguments);

    [GeneratedRegex(@"^[ \t]*call[ \t]+(?<tool>[A-Za-z0-9_-]{1,64})(?:[ \t]+(?<args>\{.*\}))?[ \t]*\r?$", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex CallLine();

    [GeneratedRegex(@"\S+\s*")]
    private static partial Regex Words();

    [GeneratedRegex(@"\bremember(?:\s+that)?\s+(?:my\s+)?(?<key>[\w\- ]{1,64}?)\s+(?:is|are|=)\s+(?<value>.+?)\s*[.!]?$", RegexOptions.IgnoreCase)]
    private static partial Regex RememberPattern();

    [GeneratedRegex(@"\b(?:what(?:'s|\s+is|\s+was)\s+my|recall(?:\s+my)?)\s+(?<key>[\w\- ]{1,64}?)\s*\??$", RegexOptions.IgnoreCase)]
    private static partial Regex RecallPattern();

    [GeneratedRegex(@"\b(?:what\s+time|the\s+time|the\s+date|today'?s\s+date|current\s+(?:time|date)|clock|what\s+day)\b", RegexOptions.IgnoreCase)]
    private static partial Regex TimeQuestion();

    [GeneratedRegex(@"\bin\s+(?<zone>[A-Za-z_]+/[A-Za-z_]+(?:/[A-Za-z_]+)?|UTC)\b")]
    private static partial Regex TimeZoneMention();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>Dates such as 2024-01-15 look like subtraction; they are not arithmetic.</summary>
    [GeneratedRegex(@"^\d{4}-\d{1,2}-\d{1,2}$")]
    private static partial Regex DateLike();

    [GeneratedRegex(@"(?<=\d\s*)(?:\s+plus\s+|\s+minus\s+|\s+times\s+|\s+multiplied\s+by\s+|\s*\bx\b\s*|(?<=\d)x(?=\d)|\s+divided\s+by\s+|\s+over\s+|\s+to\s+the\s+power\s+of\s+|\s+mod(?:ulo)?\s+)(?=\s*[\d(])", RegexOptions.IgnoreCase)]
    private static partial Regex NumberWords();

    [GeneratedRegex(@"(?:\b(?:sqrt|abs|round|floor|ceil|ln|log10|sin|cos|tan|min|max|pow|pi|e)\b|[\d.()+\-*/%^,\s])+", RegexOptions.IgnoreCase)]
    private static partial Regex ExpressionCandidate();

    [GeneratedRegex(@"\d\s*[-+*/%^]\s*[\d(.a-z]|\b(?:sqrt|abs|round|floor|ceil|ln|log10|sin|cos|tan|min|max|pow)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex HasOperation();
}

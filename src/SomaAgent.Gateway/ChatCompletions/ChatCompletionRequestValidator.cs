using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Sessions;

namespace SomaAgent.Gateway.ChatCompletions;

/// <summary>
/// Checks an OpenAI chat completion request and turns it into a new session: the messages become its transcript
/// (assistant tool calls and tool results included), the request's tools and settings its client options. Like
/// OpenAI it reports the first problem, naming the field in <c>param</c>.
/// </summary>
public sealed partial class ChatCompletionRequestValidator(ModelCatalog models)
{
    public const int MaxMessages = 256;
    public const int MaxTools = 128;
    public const int MaxUserLength = 256;
    public const string SourceMetadataKey = "source";
    public const string Source = "chat.completions";

    private static readonly JsonElement EmptyObjectSchema = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    public (ChatCompletionPlan? Plan, OpenAIErrorResult? Error) Validate(ChatCompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            return Fail("You must provide a model parameter (an id from GET /v1/models).", "model");
        }
        if (request.N is { } n && n != 1)
        {
            return Fail($"n must be 1: this gateway returns one choice, got {n}.", "n");
        }
        if (request.Temperature is < 0 or > 2)
        {
            return Fail($"temperature must be between 0 and 2, got {request.Temperature}.", "temperature");
        }
        var maxTokens = request.MaxCompletionTokens ?? request.MaxTokens;
        if (maxTokens is < 1)
        {
            return Fail($"{(request.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens")} must be at least 1, got {maxTokens}.",
                request.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        }
        var stream = request.Stream == true;
        if (request.StreamOptions is not null && !stream)
        {
            return Fail("stream_options is only allowed when stream is true.", "stream_options");
        }
        if (request.User is { Length: > MaxUserLength })
        {
            return Fail($"user is longer than {MaxUserLength} characters.", "user");
        }

        var (tools, toolsError) = ValidateTools(request.Tools);
        if (toolsError is not null)
        {
            return (null, toolsError);
        }
        var (choice, required, choiceError) = ValidateToolChoice(request.ToolChoice, tools);
        if (choiceError is not null)
        {
            return (null, choiceError);
        }
        var (messages, promptCharacters, messagesError) = ValidateMessages(request.Messages);
        if (messagesError is not null)
        {
            return (null, messagesError);
        }
        if (!models.Contains(request.Model))
        {
            return (null, OpenAIErrors.ModelNotFound(request.Model, models.All.Select(m => m.Id)));
        }

        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal) { [SourceMetadataKey] = Source };
        if (!string.IsNullOrEmpty(request.User))
        {
            metadata["user"] = request.User;
        }
        var options = new ClientModelOptions
        {
            Tools = tools,
            ToolChoice = choice,
            RequiredTool = required,
            MaxOutputTokens = maxTokens,
            Temperature = request.Temperature,
        };
        // The model sees exactly the request's tools, as with OpenAI: no server tools.
        var session = new NewSession(request.Model, messages, [], metadata) { ClientOptionsJson = options.ToJson() };
        return (new ChatCompletionPlan(session, stream, stream && request.StreamOptions?.IncludeUsage == true, promptCharacters), null);
    }

    private static (List<ClientToolDeclaration> Tools, OpenAIErrorResult? Error) ValidateTools(IReadOnlyList<ChatToolInput?>? input)
    {
        var tools = new List<ClientToolDeclaration>();
        if (input is null)
        {
            return (tools, null);
        }
        if (input.Count > MaxTools)
        {
            return (tools, OpenAIErrors.BadRequest($"At most {MaxTools} tools per request, got {input.Count}.", "tools"));
        }
        for (var i = 0; i < input.Count; i++)
        {
            var tool = input[i];
            if (tool?.Type != "function" || tool.Function is null)
            {
                return (tools, OpenAIErrors.BadRequest($"tools[{i}] must be {{\"type\": \"function\", \"function\": {{...}}}}; only function tools are supported.", $"tools[{i}]"));
            }
            var name = tool.Function.Name;
            if (name is null || !FunctionName().IsMatch(name))
            {
                return (tools, OpenAIErrors.BadRequest($"tools[{i}].function.name must be 1 to 64 letters, digits, '_' or '-', got '{Problems.Problem.Truncate(name ?? "null")}'.", $"tools[{i}].function.name"));
            }
            if (tools.Exists(t => t.Name == name))
            {
                return (tools, OpenAIErrors.BadRequest($"Tool names must be unique; '{name}' is declared twice.", $"tools[{i}].function.name"));
            }
            var parameters = tool.Function.Parameters;
            if (parameters is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
            {
                return (tools, OpenAIErrors.BadRequest($"tools[{i}].function.parameters must be a JSON schema object.", $"tools[{i}].function.parameters"));
            }
            tools.Add(new ClientToolDeclaration(name, tool.Function.Description,
                parameters is { ValueKind: JsonValueKind.Object } schema ? schema.Clone() : EmptyObjectSchema));
        }
        return (tools, null);
    }

    private static (string? Choice, string? Required, OpenAIErrorResult? Error) ValidateToolChoice(JsonElement? input, List<ClientToolDeclaration> tools)
    {
        if (input is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } choice)
        {
            return (null, null, null);
        }
        if (choice.ValueKind == JsonValueKind.String)
        {
            var value = choice.GetString();
            if (value is ClientModelOptions.ToolChoiceAuto or ClientModelOptions.ToolChoiceNone)
            {
                return (value, null, null);
            }
            if (value == ClientModelOptions.ToolChoiceRequired)
            {
                return tools.Count == 0
                    ? (null, null, OpenAIErrors.BadRequest("tool_choice 'required' needs at least one tool in tools.", "tool_choice"))
                    : (value, null, null);
            }
        }
        else if (choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "function"
            && choice.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            var required = name.GetString()!;
            return tools.Exists(t => t.Name == required)
                ? (ClientModelOptions.ToolChoiceRequired, required, null)
                : (null, null, OpenAIErrors.BadRequest($"tool_choice names '{Problems.Problem.Truncate(required)}', which is not in tools.", "tool_choice"));
        }
        return (null, null, OpenAIErrors.BadRequest(
            "tool_choice must be 'auto', 'none', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice"));
    }

    private static (List<MessageInput> Messages, long PromptCharacters, OpenAIErrorResult? Error) ValidateMessages(IReadOnlyList<ChatMessageInput?>? input)
    {
        var messages = new List<MessageInput>();
        long characters = 0;
        if (input is null || input.Count == 0)
        {
            return (messages, 0, OpenAIErrors.BadRequest("messages must be a non-empty array; the last message is what the model answers.", "messages"));
        }
        if (input.Count > MaxMessages)
        {
            return (messages, 0, OpenAIErrors.BadRequest($"At most {MaxMessages} messages per request, got {input.Count}.", "messages"));
        }
        var calls = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < input.Count; i++)
        {
            var message = input[i];
            var at = $"messages[{i}]";
            if (message is null)
            {
                return (messages, 0, OpenAIErrors.BadRequest($"{at} cannot be null.", at));
            }
            var (text, textError) = TextOf(message.Content, $"{at}.content");
            if (textError is not null)
            {
                return (messages, 0, textError);
            }
            if (text.Length > SessionRequestValidator.MaxContentLength)
            {
                return (messages, 0, OpenAIErrors.BadRequest($"{at}.content is longer than {SessionRequestValidator.MaxContentLength} characters.", $"{at}.content"));
            }
            characters += text.Length;
            switch (message.Role)
            {
                case "system" or "developer":
                case MessageRoles.User:
                    if (text.Length == 0)
                    {
                        return (messages, 0, OpenAIErrors.BadRequest($"{at}.content is empty; a {message.Role} message needs text.", $"{at}.content"));
                    }
                    messages.Add(new MessageInput(message.Role == MessageRoles.User ? MessageRoles.User : MessageRoles.System, text));
                    break;
                case MessageRoles.Assistant:
                    var (stored, callsError) = ToolCallsOf(message.ToolCalls, at, calls);
                    if (callsError is not null)
                    {
                        return (messages, 0, callsError);
                    }
                    if (text.Length == 0 && stored is null)
                    {
                        return (messages, 0, OpenAIErrors.BadRequest($"{at} needs content or tool_calls.", $"{at}.content"));
                    }
                    characters += stored?.Sum(c => c.Name.Length + c.Arguments.GetRawText().Length) ?? 0;
                    messages.Add(new MessageInput(MessageRoles.Assistant, text)
                    {
                        ToolCallsJson = stored is null ? null : JsonSerializer.Serialize(stored, SessionJsonContext.Wire.ListStoredToolCall),
                    });
                    break;
                case MessageRoles.Tool:
                    if (message.ToolCallId is null || !calls.TryGetValue(message.ToolCallId, out var toolName))
                    {
                        return (messages, 0, OpenAIErrors.BadRequest(
                            $"{at}.tool_call_id must be the id of a tool call of an earlier assistant message, got '{Problems.Problem.Truncate(message.ToolCallId ?? "null")}'.",
                            $"{at}.tool_call_id"));
                    }
                    messages.Add(new MessageInput(MessageRoles.Tool, text) { ToolCallId = message.ToolCallId, ToolName = toolName });
                    break;
                default:
                    return (messages, 0, OpenAIErrors.BadRequest(
                        $"{at}.role '{Problems.Problem.Truncate(message.Role ?? "null")}' is not one of system, developer, user, assistant, tool.", $"{at}.role"));
            }
        }
        if (messages[^1].Role is not (MessageRoles.User or MessageRoles.Tool))
        {
            return (messages, 0, OpenAIErrors.BadRequest("The last message must be a user or tool message: it is what the model answers.", "messages"));
        }
        return (messages, characters, null);
    }

    /// <summary>The text of a content field: a string, null, or an array of text parts.</summary>
    private static (string Text, OpenAIErrorResult? Error) TextOf(JsonElement? content, string at)
    {
        if (content is not { } value || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return ("", null);
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            return (value.GetString()!, null);
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            return ("", OpenAIErrors.BadRequest($"{at} must be a string or an array of text parts.", at));
        }
        var text = new StringBuilder();
        var index = 0;
        foreach (var part in value.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || type.GetString() is not ("text" or "refusal")
                || !part.TryGetProperty(type.GetString()!, out var piece) || piece.ValueKind != JsonValueKind.String)
            {
                return ("", OpenAIErrors.BadRequest($"{at}[{index}] is not a text part ({{\"type\": \"text\", \"text\": ...}}); only text content is supported.", $"{at}[{index}]"));
            }
            text.Append(piece.GetString());
            index++;
        }
        return (text.ToString(), null);
    }

    private static (List<StoredToolCall>? Calls, OpenAIErrorResult? Error) ToolCallsOf(IReadOnlyList<ChatToolCall?>? input, string at, Dictionary<string, string> seen)
    {
        if (input is null || input.Count == 0)
        {
            return (null, null);
        }
        var calls = new List<StoredToolCall>();
        for (var j = 0; j < input.Count; j++)
        {
            var call = input[j];
            var where = $"{at}.tool_calls[{j}]";
            if (call is null || string.IsNullOrEmpty(call.Id) || call.Function?.Name is not { Length: > 0 } name || call.Type is not (null or "function"))
            {
                return (null, OpenAIErrors.BadRequest($"{where} needs an id, type 'function' and function.name.", where));
            }
            if (call.Id.Length > 128 || !seen.TryAdd(call.Id, name))
            {
                return (null, OpenAIErrors.BadRequest($"{where}.id must be unique and at most 128 characters.", $"{where}.id"));
            }
            JsonElement arguments;
            try
            {
                using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(call.Function.Arguments) ? "{}" : call.Function.Arguments);
                arguments = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return (null, OpenAIErrors.BadRequest($"{where}.function.arguments must be a JSON object in a string.", $"{where}.function.arguments"));
            }
            if (arguments.ValueKind != JsonValueKind.Object)
            {
                return (null, OpenAIErrors.BadRequest($"{where}.function.arguments must be a JSON object in a string.", $"{where}.function.arguments"));
            }
            calls.Add(new StoredToolCall(call.Id, name, arguments));
        }
        return (calls, null);
    }

    private static (ChatCompletionPlan?, OpenAIErrorResult?) Fail(string message, string param) => (null, OpenAIErrors.BadRequest(message, param));

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();
}

/// <summary>A valid request: the session to open and how to answer.</summary>
/// <param name="PromptCharacters">Characters of the prompt, for the usage approximation when the model reports none.</param>
public sealed record ChatCompletionPlan(NewSession Session, bool Stream, bool IncludeUsage, long PromptCharacters);

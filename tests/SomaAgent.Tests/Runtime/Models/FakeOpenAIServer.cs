using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Models;

/// <summary>
/// A real HTTP server (Kestrel, loopback only, random port) that speaks OpenAI's
/// <c>POST /v1/chat/completions</c>, non-streaming and streaming (<c>text/event-stream</c> chunks ending in
/// <c>data: [DONE]</c>, tool calls streamed as deltas, usage when <c>stream_options.include_usage</c>).
/// It plays a tiny scripted model:
/// <list type="bullet">
/// <item>last message from the user and a <c>calculator</c> tool offered: it calls calculator with the
/// arithmetic expression it finds in the text (e.g. "compute 6*7" → <c>{"expression":"6*7"}</c>);</item>
/// <item>last messages are tool results: it answers "The result is X." where X is the result's <c>result</c> field;</item>
/// <item>otherwise it echoes the last message.</item>
/// </list>
/// Every request body is recorded; a request without <c>Authorization: Bearer {ApiKey}</c> gets OpenAI's 401.
/// </summary>
public sealed partial class FakeOpenAIServer : IAsyncLifetime
{
    private readonly List<JsonElement> _requests = [];
    private readonly Lock _gate = new();
    private WebApplication? _app;
    private Uri? _baseUrl;

    /// <summary>The only key the server accepts. Default <c>sk-test-fake</c>.</summary>
    public string ApiKey { get; init; } = "sk-test-fake";

    /// <summary>Base URL including <c>/v1</c>, as <c>SomaAgent:Models:OpenAI:BaseUrl</c> expects it.</summary>
    public Uri BaseUrl => _baseUrl ?? throw new InvalidOperationException("The fake OpenAI server has not been started.");

    /// <summary>Every chat-completions request body received (authorized or not), in arrival order.</summary>
    public IReadOnlyList<JsonElement> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        var app = LoopbackHttpServer.Create();
        app.MapPost("/v1/chat/completions", HandleAsync);
        _baseUrl = new Uri(await app.StartOnLoopbackAsync(TestContext.Current.CancellationToken), "/v1");
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: ct);
            body = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"We could not parse the JSON body of your request: {ex.Message}", "invalid_request_error", null);
            return;
        }
        lock (_gate)
        {
            _requests.Add(body);
        }

        if (context.Request.Headers.Authorization.ToString() != $"Bearer {ApiKey}")
        {
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized,
                "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error", "invalid_api_key");
            return;
        }
        if (!body.TryGetProperty("model", out var modelProperty) || modelProperty.GetString() is not { Length: > 0 } model
            || !body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "'model' and a non-empty 'messages' array are required.", "invalid_request_error", null);
            return;
        }

        var reply = Plan(messages, body);
        var completion = new Completion($"chatcmpl-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model, reply,
            PromptTokens: body.GetRawText().Length / 4, CompletionTokens: reply.Text.Length / 4 + reply.Arguments.Length / 4 + 1);

        var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        if (!stream)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(completion.ToJson().ToJsonString(), ct);
            return;
        }
        var includeUsage = body.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        foreach (var chunk in completion.ToChunks(includeUsage))
        {
            await context.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n", ct);
            await context.Response.Body.FlushAsync(ct);
        }
        await context.Response.WriteAsync("data: [DONE]\n\n", ct);
    }

    private static Reply Plan(JsonElement messages, JsonElement body)
    {
        var all = messages.EnumerateArray().ToList();
        var last = all[^1];
        var role = last.GetProperty("role").GetString();
        if (role == "tool")
        {
            var results = all.AsEnumerable().Reverse().TakeWhile(m => m.GetProperty("role").GetString() == "tool")
                .Reverse().Select(m => ResultOf(TextOf(m))).ToList();
            return Reply.Say($"The result is {string.Join(" and ", results)}.");
        }
        var text = TextOf(last);
        if (role == "user" && OffersTool(body, "calculator") && FindExpression(text) is { } expression)
        {
            var arguments = new JsonObject { ["expression"] = expression }.ToJsonString();
            return Reply.CallTool($"call_{Guid.NewGuid():N}"[..24], "calculator", arguments);
        }
        return Reply.Say($"Echo: {text}");
    }

    private static bool OffersTool(JsonElement body, string name) =>
        body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array
        && tools.EnumerateArray().Any(t => t.TryGetProperty("function", out var f) && f.TryGetProperty("name", out var n) && n.GetString() == name);

    /// <summary>A message's text: <c>content</c> is a string or an array of parts.</summary>
    private static string TextOf(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }
        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => string.Concat(content.EnumerateArray()
                .Where(p => p.TryGetProperty("type", out var t) && t.GetString() == "text")
                .Select(p => p.GetProperty("text").GetString())),
            _ => "",
        };
    }

    /// <summary>The <c>result</c> field of a JSON tool result, or the whole content when it has none.</summary>
    private static string ResultOf(string content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("result", out var result)
                ? (result.ValueKind == JsonValueKind.String ? result.GetString()! : result.GetRawText())
                : content;
        }
        catch (JsonException)
        {
            return content;
        }
    }

    private static string? FindExpression(string text) =>
        Expression().Matches(text).Select(m => m.Value.Trim()).Where(e => e.IndexOfAny(['+', '-', '*', '/']) > 0)
            .OrderByDescending(e => e.Length).FirstOrDefault();

    private static Task WriteErrorAsync(HttpContext context, int status, string message, string type, string? code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var error = new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code },
        };
        return context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
    }

    [GeneratedRegex(@"[\d(][\d\s.+\-*/()]*[\d)]")]
    private static partial Regex Expression();

    /// <summary>What the scripted model answers: text, or one tool call.</summary>
    private sealed record Reply(string Text, string? CallId, string? ToolName, string Arguments)
    {
        public static Reply Say(string text) => new(text, null, null, "");

        public static Reply CallTool(string id, string name, string arguments) => new("", id, name, arguments);
    }

    private sealed record Completion(string Id, long Created, string Model, Reply Reply, int PromptTokens, int CompletionTokens)
    {
        private JsonObject Usage() => new()
        {
            ["prompt_tokens"] = PromptTokens,
            ["completion_tokens"] = CompletionTokens,
            ["total_tokens"] = PromptTokens + CompletionTokens,
        };

        private string FinishReason => Reply.CallId is null ? "stop" : "tool_calls";

        public JsonObject ToJson()
        {
            var message = new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = Reply.CallId is null ? Reply.Text : null,
                ["refusal"] = null,
            };
            if (Reply.CallId is not null)
            {
                message["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = Reply.CallId,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = Reply.ToolName, ["arguments"] = Reply.Arguments },
                });
            }
            return new JsonObject
            {
                ["id"] = Id,
                ["object"] = "chat.completion",
                ["created"] = Created,
                ["model"] = Model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = message,
                    ["logprobs"] = null,
                    ["finish_reason"] = FinishReason,
                }),
                ["usage"] = Usage(),
            };
        }

        public IEnumerable<JsonObject> ToChunks(bool includeUsage)
        {
            if (Reply.CallId is null)
            {
                yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "", ["refusal"] = null }, null, includeUsage);
                foreach (Match piece in Pieces().Matches(Reply.Text))
                {
                    yield return Chunk(new JsonObject { ["content"] = piece.Value }, null, includeUsage);
                }
            }
            else
            {
                // The first delta names the call; the arguments follow in fragments, as OpenAI streams them.
                var fragments = Split(Reply.Arguments, 3);
                yield return Chunk(new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = null,
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0,
                        ["id"] = Reply.CallId,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = Reply.ToolName, ["arguments"] = fragments[0] },
                    }),
                }, null, includeUsage);
                foreach (var fragment in fragments.Skip(1))
                {
                    yield return Chunk(new JsonObject
                    {
                        ["tool_calls"] = new JsonArray(new JsonObject
                        {
                            ["index"] = 0,
                            ["function"] = new JsonObject { ["arguments"] = fragment },
                        }),
                    }, null, includeUsage);
                }
            }
            yield return Chunk(new JsonObject(), FinishReason, includeUsage);
            if (includeUsage)
            {
                yield return new JsonObject
                {
                    ["id"] = Id,
                    ["object"] = "chat.completion.chunk",
                    ["created"] = Created,
                    ["model"] = Model,
                    ["choices"] = new JsonArray(),
                    ["usage"] = Usage(),
                };
            }
        }

        private JsonObject Chunk(JsonObject delta, string? finishReason, bool includeUsage)
        {
            var chunk = new JsonObject
            {
                ["id"] = Id,
                ["object"] = "chat.completion.chunk",
                ["created"] = Created,
                ["model"] = Model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["delta"] = delta,
                    ["logprobs"] = null,
                    ["finish_reason"] = finishReason,
                }),
            };
            if (includeUsage)
            {
                chunk["usage"] = null;
            }
            return chunk;
        }

        private static List<string> Split(string text, int parts)
        {
            var size = Math.Max(1, (text.Length + parts - 1) / parts);
            var result = new List<string>();
            for (var i = 0; i < text.Length; i += size)
            {
                result.Add(text[i..Math.Min(text.Length, i + size)]);
            }
            return result.Count == 0 ? [""] : result;
        }
    }

    [GeneratedRegex(@"\S+\s*")]
    private static partial Regex Pieces();

    /// <summary>The user text of the first user message of a recorded request (to find a test's own requests).</summary>
    public static string FirstUserText(JsonElement request) =>
        request.GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "user").Select(TextOf).FirstOrDefault() ?? "";
}

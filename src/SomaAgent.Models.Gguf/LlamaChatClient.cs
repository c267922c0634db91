using System.Diagnostics;
using System.Runtime.CompilerServices;
using LLama;
using LLama.Exceptions;
using LLama.Native;
using LLama.Sampling;
using LLama.Transformers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Models.Gguf;

/// <summary>
/// A local GGUF model as an <see cref="IChatClient"/>. Each request formats the conversation with the model's chat
/// template, creates its own llama.cpp context, evaluates the prompt and samples one token at a time, streaming text
/// as it decodes, until end-of-generation, the token limit or the end of the context. The last update carries
/// <see cref="UsageContent"/> with the prompt and reply token counts. Tools are not offered to the model: the reply
/// is always text. LLamaSharp's own <c>AsChatClient</c> is not used because it shares one executor (not safe across
/// sessions) and reports no usage.
/// </summary>
internal sealed partial class LlamaChatClient(GgufModel model, ILogger logger) : IChatClient
{
    public const string ProviderName = "llamasharp";

    /// <summary>LLamaSharp's defaults for what a request leaves unset; only read, never used to sample.</summary>
    private static readonly DefaultSamplingPipeline SamplerDefaults = new();

    private readonly ChatClientMetadata _metadata = new(ProviderName, null, model.Options.Id);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var history = messages.ToList();
        var (weights, chatTemplate) = await model.LoadAsync(cancellationToken);
        var modelId = model.Options.Id;
        var responseId = $"gguf-{Guid.NewGuid():N}";

        await model.Slots.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            using var context = weights.CreateContext(model.Parameters, logger);
            var prompt = context.Tokenize(FormatPrompt(chatTemplate, history, options?.Instructions), addBos: true, special: true).ToList();
            var room = (int)context.ContextSize - prompt.Count;
            if (room < 1)
            {
                throw new InvalidOperationException(
                    $"The conversation needs {prompt.Count} tokens but model '{modelId}' has a context of {context.ContextSize}; raise its ContextSize or shorten the conversation.");
            }
            var maxTokens = Math.Min(options?.MaxOutputTokens ?? model.Options.MaxTokens, room);

            var batch = new LLamaBatch();
            var (result, _, position) = await context.DecodeAsync(prompt, LLamaSeqId.Zero, batch, 0, cancellationToken);
            if (result != DecodeResult.Ok)
            {
                throw new LLamaDecodeError(result);
            }

            using var sampler = CreateSampler(options);
            var decoder = new StreamingTokenDecoder(context);
            var generated = 0;
            var finish = ChatFinishReason.Length;
            while (generated < maxTokens)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var token = sampler.Sample(context.NativeHandle, batch.TokenCount - 1);
                if (token.IsEndOfGeneration(weights.Vocab))
                {
                    finish = ChatFinishReason.Stop;
                    break;
                }
                generated++;
                decoder.Add(token);
                if (decoder.Read() is { Length: > 0 } text)
                {
                    yield return new ChatResponseUpdate(ChatRole.Assistant, text) { ResponseId = responseId, ModelId = modelId };
                }
                if (generated == maxTokens)
                {
                    break;
                }
                batch.Clear();
                batch.Add(token, position++, LLamaSeqId.Zero, true);
                if (await context.DecodeAsync(batch, cancellationToken) is var step and not DecodeResult.Ok)
                {
                    throw new LLamaDecodeError(step);
                }
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            LogAnswered(modelId, prompt.Count, generated, finish, elapsed);
            yield return new ChatResponseUpdate(ChatRole.Assistant,
                [new UsageContent(new UsageDetails { InputTokenCount = prompt.Count, OutputTokenCount = generated, TotalTokenCount = prompt.Count + generated })])
            {
                ResponseId = responseId,
                ModelId = modelId,
                FinishReason = finish,
            };
        }
        finally
        {
            model.Slots.Release();
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>The catalog owns the model and disposes it; a client holds nothing of its own.</summary>
    public void Dispose()
    {
    }

    /// <summary>
    /// The conversation as the template renders it, ending with the assistant's turn. Only text counts: tool calls
    /// and results never come from this provider, and images or files are beyond a text-only model.
    /// </summary>
    internal static string FormatPrompt(string chatTemplate, IReadOnlyList<ChatMessage> history, string? instructions)
    {
        var template = new LLamaTemplate(chatTemplate) { AddAssistant = true };
        if (!string.IsNullOrWhiteSpace(instructions))
        {
            template.Add("system", instructions);
        }
        foreach (var message in history)
        {
            var role = message.Role == ChatRole.System ? "system"
                : message.Role == ChatRole.Assistant ? "assistant"
                : message.Role == ChatRole.User ? "user"
                : null;
            if (role is not null && message.Text is { Length: > 0 } text)
            {
                template.Add(role, text);
            }
        }
        return PromptTemplateTransformer.ToModelPrompt(template);
    }

    /// <summary>The request's sampling settings over the model's defaults; one sampler per request (it keeps state).</summary>
    private DefaultSamplingPipeline CreateSampler(ChatOptions? options) => new()
    {
        Temperature = options?.Temperature ?? model.Options.Temperature,
        TopP = options?.TopP ?? SamplerDefaults.TopP,
        TopK = options?.TopK ?? SamplerDefaults.TopK,
        FrequencyPenalty = options?.FrequencyPenalty ?? SamplerDefaults.FrequencyPenalty,
        PresencePenalty = options?.PresencePenalty ?? SamplerDefaults.PresencePenalty,
        // Seeded from the request when it asks for repeatable output, else at random.
        Seed = options?.Seed is { } seed ? unchecked((uint)seed) : (uint)Random.Shared.Next(),
    };

    [LoggerMessage(EventId = 2302, Level = LogLevel.Debug,
        Message = "GGUF model {ModelId} answered {OutputTokens} tokens to a {InputTokens}-token prompt ({FinishReason}) in {Elapsed}")]
    private partial void LogAnswered(string modelId, int inputTokens, int outputTokens, ChatFinishReason finishReason, TimeSpan elapsed);
}

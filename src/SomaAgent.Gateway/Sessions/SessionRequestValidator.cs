using SomaAgent.Engine.Conversations;
using SomaAgent.Gateway.Capsules;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Tools;
using SomaAgent.Security.Identity;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// Checks session requests against the deployment (models, tools) and the limits, and reports every bad
/// field at once. A request that passes is normalized: defaults applied, whitespace-only input refused.
/// </summary>
public sealed partial class SessionRequestValidator(ModelCatalog models, ToolCatalog tools)
{
    public const int MaxContentLength = 100_000;
    public const int MaxMessages = 64;
    public const int MaxMetadataEntries = 16;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 512;
    public const int MaxTools = 32;
    public const int MaxCapsuleDraftLength = 64 * 1024;

    private static readonly HashSet<string> OpeningRoles = [MessageRoles.System, MessageRoles.User, MessageRoles.Assistant];

    public (NewSession? Session, Dictionary<string, string[]> Errors) Validate(CreateSessionRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        var messages = ValidateMessages(request.Input, request.Messages, errors);

        var model = request.Model ?? models.DefaultModel;
        if (!models.Contains(model))
        {
            Add(errors, "model", $"Unknown model '{Problems.Problem.Truncate(model)}'; GET /v1/models lists the models: {string.Join(", ", models.All.Select(m => m.Id))}.");
        }

        var toolNames = request.Tools?.ToList() ?? [.. tools.All.Select(t => t.Name)];
        if (toolNames.Count > MaxTools)
        {
            Add(errors, "tools", $"At most {MaxTools} tools per session.");
        }
        foreach (var name in toolNames.Where(n => !tools.TryGet(n ?? "", out _)).Take(5))
        {
            Add(errors, "tools", $"Unknown tool '{Problems.Problem.Truncate(name ?? "null")}'; GET /v1/tools lists the tools: {string.Join(", ", tools.All.Select(t => t.Name))}.");
        }

        var metadata = request.Metadata ?? new Dictionary<string, string>();
        if (metadata.Count > MaxMetadataEntries)
        {
            Add(errors, "metadata", $"At most {MaxMetadataEntries} metadata entries.");
        }
        foreach (var (key, value) in metadata)
        {
            if (key.Length is 0 or > MaxMetadataKeyLength)
            {
                Add(errors, "metadata", $"Metadata keys are 1 to {MaxMetadataKeyLength} characters.");
            }
            if (value is null || value.Length > MaxMetadataValueLength)
            {
                Add(errors, "metadata", $"Metadata value of '{Problems.Problem.Truncate(key)}' must be a string of at most {MaxMetadataValueLength} characters.");
            }
        }

        if (request.Capsule is { } capsule && !IsCapsuleReference(capsule))
        {
            Add(errors, "capsule", $"'{Problems.Problem.Truncate(capsule)}' is not a capsule reference; give a capsule name (lowercase a-z, 0-9, -) or name@version.");
        }
        if (request.CapsuleDraft is { } draft)
        {
            if (request.Capsule is not null)
            {
                Add(errors, "capsule_draft", "Give `capsule` (an installed capsule) or `capsule_draft` (one being tried), not both.");
            }
            if (draft.Length is 0 or > MaxCapsuleDraftLength)
            {
                Add(errors, "capsule_draft", $"capsule_draft is the text of a capsule.yaml of 1 to {MaxCapsuleDraftLength} characters.");
            }
        }

        return errors.Count > 0
            ? (null, errors)
            : (new NewSession(model, messages, [.. toolNames.Distinct(StringComparer.Ordinal)], new SortedDictionary<string, string>(metadata.ToDictionary(), StringComparer.Ordinal))
            {
                CapsuleReference = request.Capsule,
                CapsuleDraft = request.CapsuleDraft,
                ToolsGiven = request.Tools is not null,
                ModelGiven = request.Model is not null,
            }, errors);
    }

    /// <summary>
    /// The session <paramref name="session"/> becomes with the capsule on: the capsule's system prompt opens the
    /// transcript, its built-in tools are the session's (the request's own tools must be among them), and its
    /// preferred model is the session's when the request names none.
    /// </summary>
    public static (NewSession? Session, Dictionary<string, string[]> Errors) TakeOn(NewSession session, TakenCapsule taken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(taken);
        var errors = new Dictionary<string, string[]>();
        var capsule = taken.Capsule;
        var tools = session.ToolsGiven ? session.Tools : capsule.Tools;
        foreach (var name in tools.Where(t => !capsule.Tools.Contains(t, StringComparer.Ordinal)).Take(5))
        {
            Add(errors, "tools", $"'{Problems.Problem.Truncate(name)}' is not one of the tools of {capsule.Reference} ({string.Join(", ", capsule.Tools)}).");
        }
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        IReadOnlyList<MessageInput> messages = taken.SystemPrompt is { Length: > 0 } prompt
            ? [new MessageInput(MessageRoles.System, prompt), .. session.Messages]
            : session.Messages;
        var model = session.ModelGiven ? session.Model : taken.PreferredModel ?? session.Model;
        return (session with { Model = model, Messages = messages, Tools = [.. tools], Capsule = capsule with { Tools = [.. tools] } }, errors);
    }

    /// <summary>Whether <paramref name="reference"/> is a capsule name or <c>name@version</c> (checked before the Registry is asked).</summary>
    public static bool IsCapsuleReference(string? reference) => reference is not null && CapsuleReference().IsMatch(reference);

    [System.Text.RegularExpressions.GeneratedRegex(@"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:@[0-9A-Za-z.+-]{1,64})?$")]
    private static partial System.Text.RegularExpressions.Regex CapsuleReference();

    public (IReadOnlyList<MessageInput> Messages, Dictionary<string, string[]> Errors) Validate(PostMessageRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        var messages = ValidateMessages(request.Input, request.Messages, errors);
        return (messages, errors);
    }

    private static List<MessageInput> ValidateMessages(string? input, IReadOnlyList<MessageInput>? messages, Dictionary<string, string[]> errors)
    {
        if (input is not null && messages is not null)
        {
            Add(errors, "input", "Give either 'input' or 'messages', not both.");
            return [];
        }
        if (input is not null)
        {
            if (string.IsNullOrWhiteSpace(input))
            {
                Add(errors, "input", "'input' is empty; send the user's message as text.");
            }
            else if (input.Length > MaxContentLength)
            {
                Add(errors, "input", $"'input' is longer than {MaxContentLength} characters.");
            }
            return [new MessageInput(MessageRoles.User, input)];
        }
        if (messages is null || messages.Count == 0)
        {
            Add(errors, "input", "Give 'input' (the user's message) or a non-empty 'messages' array.");
            return [];
        }
        if (messages.Count > MaxMessages)
        {
            Add(errors, "messages", $"At most {MaxMessages} messages per request.");
        }
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message is null)
            {
                Add(errors, $"messages[{i}]", "A message cannot be null.");
                continue;
            }
            if (message.Role is null || !OpeningRoles.Contains(message.Role))
            {
                Add(errors, $"messages[{i}].role", $"Role '{Problems.Problem.Truncate(message.Role ?? "null")}' is not one of system, user, assistant.");
            }
            if (string.IsNullOrWhiteSpace(message.Content))
            {
                Add(errors, $"messages[{i}].content", "Message content is empty.");
            }
            else if (message.Content.Length > MaxContentLength)
            {
                Add(errors, $"messages[{i}].content", $"Message content is longer than {MaxContentLength} characters.");
            }
        }
        if (messages[^1] is { } last && last.Role != MessageRoles.User)
        {
            Add(errors, "messages", "The last message must be from the user: it is what the model answers.");
        }
        return [.. messages];
    }

    private static void Add(Dictionary<string, string[]> errors, string field, string message) =>
        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
}

/// <summary>A validated, normalized request to open a session.</summary>
public sealed record NewSession(
    string Model,
    IReadOnlyList<MessageInput> Messages,
    IReadOnlyList<string> Tools,
    SortedDictionary<string, string> Metadata)
{
    /// <summary>Client tools and model settings of an OpenAI-compatible request (<see cref="Runtime.Sessions.ClientModelOptions"/> JSON).</summary>
    public string? ClientOptionsJson { get; init; }

    /// <summary>The capsule the request names (<c>name</c> or <c>name@version</c>), still to be resolved.</summary>
    public string? CapsuleReference { get; init; }

    /// <summary>The <c>capsule.yaml</c> of a capsule its publisher tries before publishing, still to be checked.</summary>
    public string? CapsuleDraft { get; init; }

    /// <summary>Whether the request named its tools (otherwise a capsule's tools are the session's).</summary>
    public bool ToolsGiven { get; init; }

    /// <summary>Whether the request named its model (otherwise a capsule's preferred model, when offered, is the session's).</summary>
    public bool ModelGiven { get; init; }

    /// <summary>The capsule taken on, once resolved (<see cref="SessionRequestValidator.TakeOn"/>).</summary>
    public SessionCapsule? Capsule { get; init; }

    /// <summary>The session <paramref name="caller"/> opens with this request.</summary>
    public SessionOpening ToOpening(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new SessionOpening(caller.TenantId, caller.Subject, Model, [.. Messages.Select(m => m.ToInput())], Tools, Metadata, ClientOptionsJson)
        {
            Capsule = Capsule,
        };
    }
}

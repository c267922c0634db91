using System.Text.Json.Serialization;

namespace SomaAgent.Security.Policy;

/// <summary>
/// What a policy decides on, sent to OPA as <c>{"input": …}</c>. Every field is always present (null when not
/// known), so a Rego rule never meets an undefined one.
/// </summary>
public sealed record PolicyInput
{
    /// <summary><see cref="PolicyKinds.Request"/> or <see cref="PolicyKinds.Tool"/>.</summary>
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>The principal: a key id, a token's subject, or <c>anonymous</c> while authentication is off.</summary>
    [JsonPropertyName("subject")]
    public string? Subject { get; init; }

    /// <summary>The tenant the request or call acts for.</summary>
    [JsonPropertyName("tenant")]
    public string? Tenant { get; init; }

    /// <summary>The caller's scopes (every scope for the anonymous caller while authentication is off; none for a tool call).</summary>
    [JsonPropertyName("scopes")]
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>HTTP method, upper case (requests only).</summary>
    [JsonPropertyName("method")]
    public string? Method { get; init; }

    /// <summary>The route template, such as <c>/v1/sessions/{id}</c> (requests only).</summary>
    [JsonPropertyName("route")]
    public string? Route { get; init; }

    /// <summary>The route's resource id (the <c>{id}</c> value), when the route has one.</summary>
    [JsonPropertyName("resource")]
    public string? Resource { get; init; }

    /// <summary>The tool's name (tool calls only).</summary>
    [JsonPropertyName("tool")]
    public string? Tool { get; init; }

    /// <summary>The name of the capsule the session took on, or null (tool calls only).</summary>
    [JsonPropertyName("capsule")]
    public string? Capsule { get; init; }

    /// <summary>The session's model, when known (tool calls only).</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>The session the tool call belongs to (tool calls only).</summary>
    [JsonPropertyName("session")]
    public string? Session { get; init; }
}

/// <summary>The kinds of input a policy decides on.</summary>
public static class PolicyKinds
{
    public const string Request = "request";
    public const string Tool = "tool";
}

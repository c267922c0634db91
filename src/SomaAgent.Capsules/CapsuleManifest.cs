using System.Text.Json.Serialization;

namespace SomaAgent.Capsules;

/// <summary>A capsule's <c>capsule.yaml</c>, as <see cref="CapsuleLint"/> accepted it (see <c>capsule.schema.json</c>).</summary>
public sealed record CapsuleManifest(
    string Name,
    string Version,
    string Description,
    string Publisher,
    IReadOnlyList<string>? Tags = null,
    [property: JsonPropertyName("system_prompt")] string? SystemPrompt = null,
    CapsuleTools? Tools = null,
    IReadOnlyList<string>? Permissions = null,
    CapsuleLimits? Limits = null,
    CapsuleModels? Models = null,
    string? Readme = null,
    IReadOnlyList<CapsuleTest>? Tests = null);

/// <summary>The tools a capsule uses: built-in tools by name, and MCP servers over HTTP.</summary>
public sealed record CapsuleTools(IReadOnlyList<string>? Builtin = null, IReadOnlyList<CapsuleMcpServer>? Mcp = null);

/// <summary>An MCP server a capsule's sessions call; <see cref="Tools"/> narrows it to some of its tools.</summary>
public sealed record CapsuleMcpServer(string Name, string Url, IReadOnlyList<string>? Tools = null);

public sealed record CapsuleLimits(
    [property: JsonPropertyName("max_turns")] int? MaxTurns = null,
    [property: JsonPropertyName("max_tool_calls")] int? MaxToolCalls = null,
    [property: JsonPropertyName("max_steps_per_turn")] int? MaxStepsPerTurn = null);

public sealed record CapsuleModels(IReadOnlyList<string>? Preferred = null);

/// <summary>A prompt <c>soma capsule test</c> sends in a new session with the capsule, and what its answer must show.</summary>
public sealed record CapsuleTest(string Prompt, CapsuleExpectation Expect, string? Name = null)
{
    /// <summary>How the test is reported: its name, or its prompt.</summary>
    public string Title => Name ?? Prompt;
}

/// <summary>What a test's turn must show besides ending completed: texts in its answer (ignoring case), tools it called.</summary>
public sealed record CapsuleExpectation(IReadOnlyList<string>? Contains = null, IReadOnlyList<string>? Tools = null);

using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Runtime.Models;

/// <summary>Which models the deployment offers (section <c>SomaAgent:Models</c>).</summary>
public sealed class ModelOptions
{
    public const string SectionName = "SomaAgent:Models";

    /// <summary>Model used when a session names none. Default: the built-in simulated model.</summary>
    [Required]
    public string Default { get; set; } = SimulatedChatClient.ModelId;

    /// <summary>Timing of the built-in simulated model (all zero by default).</summary>
    public SimulatedModelOptions Simulated { get; set; } = new();

    /// <summary>An OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio). Off unless BaseUrl is set.</summary>
    public OpenAICompatibleOptions OpenAI { get; set; } = new();

    /// <summary>
    /// Local GGUF models run in-process on the CPU through LLamaSharp (llama.cpp), one entry per model
    /// (<c>SomaAgent:Models:Gguf:0:Id</c>, <c>…:0:Path</c>, …). Empty by default.
    /// </summary>
    public IList<GgufModelOptions> Gguf { get; } = [];
}

/// <summary>Lets benchmarks make the simulated model behave like a real one.</summary>
public sealed class SimulatedModelOptions
{
    /// <summary>Pause before the first streamed piece of a reply. Default 0.</summary>
    [Range(0, 60_000)]
    public int TimeToFirstTokenMs { get; set; }

    /// <summary>Pause between streamed pieces. Default 0.</summary>
    [Range(0, 10_000)]
    public int TimePerTokenMs { get; set; }

    /// <summary>Pause before the model answers with a tool call. Default 0.</summary>
    [Range(0, 60_000)]
    public int ToolCallPauseMs { get; set; }
}

/// <summary>An OpenAI-compatible chat-completions endpoint.</summary>
public sealed class OpenAICompatibleOptions
{
    /// <summary>Base URL including the version path, e.g. <c>https://api.openai.com/v1</c>. Empty: provider off.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>API key sent as a bearer token. Some local servers accept any value.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Model ids this endpoint serves, as the sessions name them.</summary>
    public IList<string> Models { get; } = [];

    /// <summary>Name shown as the provider in <c>/v1/models</c>. Default <c>openai</c>.</summary>
    public string ProviderName { get; set; } = "openai";
}

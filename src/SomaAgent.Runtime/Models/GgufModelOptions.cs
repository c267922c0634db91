namespace SomaAgent.Runtime.Models;

/// <summary>
/// One local GGUF model served by the <c>llamasharp</c> provider (an entry of <c>SomaAgent:Models:Gguf</c>).
/// The file is checked at start-up and loaded on the first request that uses the model.
/// </summary>
public sealed class GgufModelOptions
{
    /// <summary>Model id sessions name. Required; unique across all providers.</summary>
    public string Id { get; set; } = "";

    /// <summary>Path of the <c>.gguf</c> file. Required. A relative path is resolved against the content root.</summary>
    public string Path { get; set; } = "";

    /// <summary>Text shown in <c>/v1/models</c>. Default: names the file and the provider.</summary>
    public string? Description { get; set; }

    /// <summary>Context window in tokens (prompt plus reply) of each request. Default 2048; 0 takes the model's trained context.</summary>
    public int ContextSize { get; set; } = 2048;

    /// <summary>CPU threads per request. Default 0: llama.cpp's choice.</summary>
    public int Threads { get; set; }

    /// <summary>Reply length in tokens when a request sets none (a request's own limit wins). Default 512.</summary>
    public int MaxTokens { get; set; } = 512;

    /// <summary>Sampling temperature when a request sets none; 0 always picks the likeliest token. Default 0.7.</summary>
    public float Temperature { get; set; } = 0.7f;

    /// <summary>
    /// Requests that run at once; further ones wait. Each running request holds its own context (KV cache) and
    /// <see cref="Threads"/> threads, so on a small CPU more than one mostly adds memory. Default 1.
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = 1;

    /// <summary>The file's absolute path: <see cref="Path"/> as given when absolute, else under <paramref name="contentRoot"/>.</summary>
    public string ResolvePath(string? contentRoot) =>
        System.IO.Path.GetFullPath(Path, contentRoot ?? Directory.GetCurrentDirectory());
}

using System.Security.Cryptography;
using System.Text;

namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>
/// Names MCP tools as models see them: <c>&lt;server&gt;__&lt;tool&gt;</c>, which fits OpenAI's function-name
/// rule (<c>^[a-zA-Z0-9_-]{1,64}$</c>) and cannot collide with a built-in tool or another server's tool.
/// </summary>
public static class McpToolNames
{
    public const string Separator = "__";
    public const int MaxLength = 64;

    /// <summary>The catalog source of a server's tools, e.g. <c>mcp:files</c>.</summary>
    public static string Source(string server) => $"mcp:{server}";

    /// <summary>
    /// The model-facing name: characters outside <c>[A-Za-z0-9_-]</c> become <c>_</c>; a name that would be
    /// longer than 64 characters is cut and ends with a hash of the original, so it stays unique.
    /// </summary>
    public static string Prefixed(string server, string tool)
    {
        ArgumentException.ThrowIfNullOrEmpty(server);
        ArgumentException.ThrowIfNullOrEmpty(tool);
        var builder = new StringBuilder(server.Length + Separator.Length + tool.Length).Append(server).Append(Separator);
        foreach (var c in tool)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }
        if (builder.Length <= MaxLength)
        {
            return builder.ToString();
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tool)).AsSpan(0, 4));
        return string.Concat(builder.ToString(0, MaxLength - hash.Length - 1), "_", hash);
    }
}

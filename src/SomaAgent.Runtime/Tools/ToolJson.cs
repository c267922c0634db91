using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SomaAgent.Runtime.Tools;

/// <summary>JSON for tool arguments and results: compact, characters kept readable, AI types understood.</summary>
public static class ToolJson
{
    public static JsonSerializerOptions Options { get; } = new(AIJsonUtilities.DefaultOptions)
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

using System.Text.Json;
using ModelContextProtocol.Protocol;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>
/// Turns an MCP <see cref="CallToolResult"/> into the JSON a model reads: structured content as is; a single
/// text block as the JSON it holds (servers send numbers and objects as text), else as a string; several
/// blocks as an array.
/// Binary content is described (type, MIME type, size), never inlined. An error result throws
/// <see cref="McpToolErrorException"/> with the server's text, which the executor returns as an error result.
/// </summary>
internal static class McpToolResults
{
    public static JsonElement ToJson(string toolName, CallToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.IsError == true)
        {
            var text = string.Join("\n", result.Content.Select(Text).OfType<string>().Where(t => t.Length > 0));
            throw new McpToolErrorException(text.Length > 0 ? text : $"The MCP tool '{toolName}' reported an error without a message.");
        }
        if (result.StructuredContent is { } structured)
        {
            return structured;
        }
        return result.Content.Count switch
        {
            0 => JsonSerializer.SerializeToElement<object?>(null, ToolJson.Options),
            1 => Convert(result.Content[0]),
            _ => JsonSerializer.SerializeToElement(result.Content.Select(Convert).ToList(), ToolJson.Options),
        };
    }

    private static JsonElement Convert(ContentBlock block) => block switch
    {
        TextContentBlock text => ParseJsonOrString(text.Text),
        EmbeddedResourceBlock { Resource: TextResourceContents resource } => Serialize(new { type = "resource", uri = resource.Uri, mimeType = resource.MimeType, text = resource.Text }),
        EmbeddedResourceBlock embedded => Serialize(new { type = "resource", uri = embedded.Resource.Uri, mimeType = embedded.Resource.MimeType }),
        ResourceLinkBlock link => Serialize(new { type = "resource_link", uri = link.Uri, name = link.Name, description = link.Description, mimeType = link.MimeType }),
        ImageContentBlock image => Serialize(new { type = "image", mimeType = image.MimeType, bytes = image.DecodedData.Length }),
        AudioContentBlock audio => Serialize(new { type = "audio", mimeType = audio.MimeType, bytes = audio.DecodedData.Length }),
        _ => Serialize(new { type = block.Type }),
    };

    private static string? Text(ContentBlock block) => block switch
    {
        TextContentBlock text => text.Text,
        EmbeddedResourceBlock { Resource: TextResourceContents resource } => resource.Text,
        _ => null,
    };

    /// <summary>Servers serialize return values to text; text that is a JSON value is passed on as JSON, other text as a string.</summary>
    private static JsonElement ParseJsonOrString(string text)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Plain text: the text itself is the result.
            }
        }
        return Serialize(text);
    }

    private static JsonElement Serialize<T>(T value) => JsonSerializer.SerializeToElement(value, ToolJson.Options);
}

using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>Checks every configured MCP server and reports all problems at once, each naming its full key.</summary>
internal sealed partial class McpToolsOptionsValidator : IValidateOptions<McpToolsOptions>
{
    public const int MaxServerNameLength = 32;

    public ValidateOptionsResult Validate(string? name, McpToolsOptions options)
    {
        var errors = new List<string>();
        var section = McpToolsOptions.SectionName;
        if (options.ReconnectMinDelaySeconds is <= 0 or > 3600)
        {
            errors.Add($"{section}:ReconnectMinDelaySeconds must be between 0 and 3600 (exclusive of 0), got {options.ReconnectMinDelaySeconds}.");
        }
        if (options.ReconnectMaxDelaySeconds < options.ReconnectMinDelaySeconds || options.ReconnectMaxDelaySeconds > 3600)
        {
            errors.Add($"{section}:ReconnectMaxDelaySeconds must be at least ReconnectMinDelaySeconds and at most 3600, got {options.ReconnectMaxDelaySeconds}.");
        }
        if (options.StartupWaitSeconds is < 0 or > 600)
        {
            errors.Add($"{section}:StartupWaitSeconds must be between 0 and 600, got {options.StartupWaitSeconds}.");
        }

        foreach (var (server, config) in options.Servers)
        {
            var key = $"{section}:Servers:{server}";
            if (!ServerName().IsMatch(server))
            {
                errors.Add($"{key}: the server name must be 1 to {MaxServerNameLength} letters, digits or '-', starting with a letter or digit; it prefixes the tool names models see.");
            }
            if (config is null)
            {
                errors.Add($"{key} is empty; set at least Transport and Command (stdio) or Url (http).");
                continue;
            }
            switch (McpServerConnection.ParseTransport(config.Transport))
            {
                case McpTransportKind.Stdio:
                    if (string.IsNullOrWhiteSpace(config.Command))
                    {
                        errors.Add($"{key}:Command is required for the stdio transport: the program that runs the MCP server.");
                    }
                    break;
                case McpTransportKind.Http:
                    if (!Uri.TryCreate(config.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    {
                        errors.Add($"{key}:Url must be the absolute http(s) URL of the MCP endpoint for the http transport, got '{config.Url}'.");
                    }
                    break;
                default:
                    errors.Add($"{key}:Transport must be 'stdio' or 'http', got '{config.Transport}'.");
                    break;
            }
            if (config.TimeoutSeconds is <= 0 or > 3600)
            {
                errors.Add($"{key}:TimeoutSeconds must be more than 0 and at most 3600, got {config.TimeoutSeconds}.");
            }
            if (config.ConnectTimeoutSeconds is <= 0 or > 600)
            {
                errors.Add($"{key}:ConnectTimeoutSeconds must be more than 0 and at most 600, got {config.ConnectTimeoutSeconds}.");
            }
            if (config.Tools.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{key}:Tools must not contain empty names.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")]
    private static partial Regex ServerName();
}

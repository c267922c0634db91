using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// Expands the Aspire manifest's expressions (<c>{postgres.connectionString}</c>, <c>{kafka.bindings.tcp.port}</c>,
/// <c>{vault-token.value}</c>) into text and parameters, with each service reachable by its own name on its target
/// port, as in a cluster or a compose network. An expression that names what is not deployed (a project's https
/// binding: services talk plain http inside the network) makes the whole value absent.
/// </summary>
internal sealed partial class ManifestExpressions(JsonElement resources, IReadOnlyDictionary<string, string?> parameterValues)
{
    /// <summary>What a project listens on when its http endpoint names no port (the .NET container images' default).</summary>
    public const int DefaultProjectPort = 8080;

    public IReadOnlyList<ValuePart>? Expand(string value)
    {
        var parts = new List<ValuePart>();
        var at = 0;
        foreach (Match match in Expression().Matches(value))
        {
            if (match.Index > at)
            {
                parts.Add(new ValuePart.Text(value[at..match.Index]));
            }
            if (Resolve(match.Groups[1].Value) is not { } resolved)
            {
                return null;
            }
            parts.AddRange(resolved);
            at = match.Index + match.Length;
        }
        if (at < value.Length)
        {
            parts.Add(new ValuePart.Text(value[at..]));
        }
        return Merge(parts);
    }

    /// <summary>The port a resource's binding listens on once deployed, or null when that binding is not deployed.</summary>
    public int? PortOf(string resource, string binding)
    {
        if (!resources.TryGetProperty(resource, out var definition) || !definition.TryGetProperty("bindings", out var bindings)
            || !bindings.TryGetProperty(binding, out var endpoint))
        {
            return null;
        }
        if (endpoint.TryGetProperty("targetPort", out var port))
        {
            return port.GetInt32();
        }
        var isProject = definition.GetProperty("type").GetString() == "project.v0";
        return isProject && binding == "http" ? DefaultProjectPort : null;
    }

    private IReadOnlyList<ValuePart>? Resolve(string expression)
    {
        var path = expression.Split('.');
        var resource = path[0];
        if (!resources.TryGetProperty(resource, out var definition))
        {
            throw new InvalidOperationException($"The manifest has no resource '{resource}' (in '{{{expression}}}').");
        }
        var type = definition.GetProperty("type").GetString();
        switch (path)
        {
            case [_, "bindings", var binding, var property]:
                if (PortOf(resource, binding) is not { } port)
                {
                    return null;
                }
                var scheme = definition.GetProperty("bindings").GetProperty(binding).GetProperty("scheme").GetString();
                return [new ValuePart.Text(property switch
                {
                    "host" => resource,
                    "port" or "targetPort" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "url" => $"{scheme}://{resource}:{port}",
                    "scheme" => scheme!,
                    _ => throw new InvalidOperationException($"Unknown binding property in '{{{expression}}}'."),
                })];
            case [_, "connectionString"]:
                return Expand(definition.GetProperty("connectionString").GetString() ?? "");
            case [_, "value"] when type == "parameter.v0":
                var secret = definition.GetProperty("inputs").GetProperty("value").TryGetProperty("secret", out var s) && s.GetBoolean();
                return [new ValuePart.Parameter(resource, secret, secret ? null : parameterValues.GetValueOrDefault(resource))];
            case [_, "value"] when type == "annotated.string":
                // The uri filter is not applied: deployed secrets are expected to be URI-safe (docs/deploy.md).
                return Expand(definition.GetProperty("value").GetString() ?? "");
            case [_, "value"] when type == "value.v0":
                return Expand(definition.GetProperty("value").GetString() ?? "");
            default:
                throw new InvalidOperationException($"The manifest expression '{{{expression}}}' is not one the deployment writers know.");
        }
    }

    /// <summary>Neighbouring text parts joined; non-secret parameters with a value become text.</summary>
    private static List<ValuePart> Merge(IEnumerable<ValuePart> parts)
    {
        var merged = new List<ValuePart>();
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            switch (part)
            {
                case ValuePart.Text t:
                    text.Append(t.Value);
                    break;
                case ValuePart.Parameter { Secret: false, Value: { } value }:
                    text.Append(value);
                    break;
                default:
                    if (text.Length > 0)
                    {
                        merged.Add(new ValuePart.Text(text.ToString()));
                        text.Clear();
                    }
                    merged.Add(part);
                    break;
            }
        }
        if (text.Length > 0)
        {
            merged.Add(new ValuePart.Text(text.ToString()));
        }
        return merged;
    }

    [GeneratedRegex(@"\{([A-Za-z0-9._-]+)\}")]
    private static partial Regex Expression();
}

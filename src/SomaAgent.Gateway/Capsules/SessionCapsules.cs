using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SomaAgent.Capsules;
using SomaAgent.Engine.Tools.Mcp;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Tools;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Capsules;

/// <summary>A capsule a session may take on, as the Registry resolved it for the caller's tenant.</summary>
/// <param name="Capsule">What the session keeps.</param>
/// <param name="SystemPrompt">The manifest's system prompt, or null.</param>
/// <param name="PreferredModel">The first of the manifest's <c>models.preferred</c> the deployment offers, or null.</param>
public sealed record TakenCapsule(SessionCapsule Capsule, string? SystemPrompt, string? PreferredModel = null);

/// <summary>Why a session may not take the capsule on; answered as the problem it names (a validation problem names the <c>capsule</c> field).</summary>
/// <param name="Standing">What is wrong with the version itself, in a few words (what a session using it is flagged with); null when the refusal is not about the version.</param>
/// <param name="Problems">What a draft's <c>capsule.yaml</c> got wrong, each with its field and line.</param>
public sealed record CapsuleRefusal(ProblemKind Kind, string Detail, string? Standing = null, IReadOnlyList<LintProblem>? Problems = null)
{
    public Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToProblem(string field = "capsule") =>
        Kind == ProblemCatalog.Validation ? ProblemWriter.Validation(field, Detail)
        : Problems is { } problems ? ProblemWriter.Result(Kind, Detail, new Dictionary<string, object?> { ["problems"] = problems })
        : ProblemWriter.Result(Kind, Detail);
}

/// <summary>
/// Resolves the capsule a session takes on (<c>name</c> or <c>name@version</c>) against the tenant's installations at
/// the Registry (<c>GET /v1/installations/resolve</c>, found by service discovery as <c>registry</c>), on the caller's
/// behalf: the caller's tenant and subject with only <c>capsules:read</c>, signed with the internal secret. A version
/// that is yanked, or whose signature no longer verifies, is refused with the reason.
/// <para>
/// A capsule's MCP servers run only when the operator allows them: the deployment's own HTTP MCP servers
/// (<c>SomaAgent:Tools:Mcp:Servers</c> with <c>Transport: http</c>) are the allow-list, matched by URL, and a capsule's
/// server gets that server's tools (narrowed to the ones it lists). A capsule never makes a worker start a process:
/// stdio servers have no URL to match, and a URL that is not on the list refuses the capsule.
/// </para>
/// </summary>
public sealed class SessionCapsules(HttpClient http, ForwardedCaller forwarded, IOptions<McpToolsOptions> mcp, ToolCatalog tools, ModelCatalog models)
{
    private const string ResolvePath = "/v1/installations/resolve";
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<(TakenCapsule? Capsule, CapsuleRefusal? Refusal)> ResolveAsync(Caller caller, string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!forwarded.Enabled)
        {
            return (null, Unavailable("The gateway has no internal secret (SOMAAGENT_INTERNAL_SECRET) to ask the Registry with, so sessions cannot take on capsules."));
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{ResolvePath}?capsule={Uri.EscapeDataString(reference)}");
        request.Headers.Add(ForwardedCaller.HeaderName, forwarded.SignOnBehalf(caller.TenantId, caller.Subject, [ApiKeyScopes.CapsulesRead], "GET", ResolvePath));
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (null, new CapsuleRefusal(ProblemCatalog.Validation,
                    $"The capsule '{ProblemWriter.Truncate(reference)}' is not installed for this tenant; install it first (POST /v1/installations).",
                    "no longer installed for this tenant"));
            }
            if (!response.IsSuccessStatusCode)
            {
                return (null, Unavailable($"The Registry answered {(int)response.StatusCode} when the capsule was resolved."));
            }
            var resolved = await response.Content.ReadFromJsonAsync<Resolved>(Json, cancellationToken)
                ?? throw new JsonException("The Registry answered an empty body.");
            return Judge(resolved);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, Unavailable($"The Registry could not be asked for the capsule ({ex.GetType().Name})."));
        }
    }

    /// <summary>
    /// A capsule its publisher tries before publishing it (<c>soma capsule test</c>): its <c>capsule.yaml</c>, checked by
    /// the Registry's own lint, applies as the installed capsule would (MCP allow-list included). It has no
    /// installation, so no Registry is asked; its digest is that of the manifest's text.
    /// </summary>
    public (TakenCapsule? Capsule, CapsuleRefusal? Refusal) Draft(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var lint = CapsuleLint.Check(yaml);
        if (lint.Manifest is not { } manifest)
        {
            return (null, new CapsuleRefusal(ProblemCatalog.InvalidCapsule,
                $"capsule_draft has {lint.Problems.Count} problem(s); soma capsule lint shows them with their lines.", Problems: lint.Problems));
        }
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)));
        return Take(manifest.Name, manifest.Version, digest, installationId: null, JsonSerializer.SerializeToElement(manifest, Json));
    }

    /// <summary>
    /// Why the version a session uses is no longer in good standing, or null when it still is (or the Registry cannot
    /// say right now: a session is never held up by that).
    /// </summary>
    public async Task<string?> StandingAsync(Caller caller, SessionCapsule capsule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(capsule);
        // A message is never held up for long by a Registry that is slow or away: the check gives up after a moment.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(StandingCheckTimeout);
        try
        {
            var (_, refusal) = await ResolveAsync(caller, capsule.Reference, bounded.Token);
            return refusal?.Standing;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>How long a posted message waits for the Registry to say how its session's capsule stands.</summary>
    public static readonly TimeSpan StandingCheckTimeout = TimeSpan.FromSeconds(2);

    private (TakenCapsule?, CapsuleRefusal?) Judge(Resolved resolved)
    {
        var reference = $"{resolved.Capsule}@{resolved.Version}";
        if (resolved.Yanked)
        {
            var why = $"yanked{(resolved.YankReason is { } reason ? $": {reason}" : "")}";
            return (null, new CapsuleRefusal(ProblemCatalog.CapsuleYanked,
                $"{reference} is {why}; a session cannot take it on. Install and use another version.", why));
        }
        if (resolved.SignatureStatus != "valid")
        {
            return (null, new CapsuleRefusal(ProblemCatalog.SignatureRejected,
                $"The signature of {reference} no longer verifies ({resolved.SignatureStatus}); a session cannot take it on.",
                $"its signature no longer verifies ({resolved.SignatureStatus})"));
        }
        return Take(resolved.Capsule, resolved.Version, resolved.Digest, resolved.InstallationId, resolved.Manifest);
    }

    /// <summary>What a session takes on from a manifest (the Registry's JSON of <c>capsule.yaml</c>), or why it may not.</summary>
    private (TakenCapsule?, CapsuleRefusal?) Take(string name, string version, string digest, Guid? installationId, JsonElement manifest)
    {
        var reference = $"{name}@{version}";
        var tools = manifest.TryGetProperty("tools", out var declared) ? declared : default;
        var builtin = tools.ValueKind == JsonValueKind.Object && tools.TryGetProperty("builtin", out var names)
            ? names.EnumerateArray().Select(n => n.GetString()!).ToList()
            : [];
        var limits = manifest.TryGetProperty("limits", out var l) ? l : default;
        var capsule = new SessionCapsule(name, version, digest, installationId, builtin,
            Limit(limits, "max_turns"), Limit(limits, "max_tool_calls"), Limit(limits, "max_steps_per_turn"), Draft: installationId is null);
        if (tools.ValueKind == JsonValueKind.Object && tools.TryGetProperty("mcp", out var servers))
        {
            foreach (var server in servers.EnumerateArray())
            {
                var (offered, refusal) = AllowedMcpTools(reference, server);
                if (refusal is not null)
                {
                    return (null, refusal);
                }
                builtin.AddRange(offered.Where(t => !builtin.Contains(t, StringComparer.Ordinal)));
            }
            capsule = capsule with { Tools = [.. builtin] };
        }
        var prompt = manifest.TryGetProperty("system_prompt", out var p) ? p.GetString() : null;
        var preferred = manifest.TryGetProperty("models", out var m) && m.TryGetProperty("preferred", out var ids)
            ? ids.EnumerateArray().Select(id => id.GetString()!).FirstOrDefault(models.Contains)
            : null;
        return (new TakenCapsule(capsule, prompt, preferred), null);
    }

    /// <summary>The catalog names of the tools a capsule's MCP server gets, or why the server is not allowed.</summary>
    private (List<string> Tools, CapsuleRefusal? Refusal) AllowedMcpTools(string reference, JsonElement server)
    {
        var name = server.GetProperty("name").GetString();
        var url = server.GetProperty("url").GetString()!;
        var allowed = mcp.Value.Servers.FirstOrDefault(s =>
            string.Equals(s.Value.Transport, "http", StringComparison.OrdinalIgnoreCase) && SameUrl(s.Value.Url, url));
        if (allowed.Key is null)
        {
            return ([], new CapsuleRefusal(ProblemCatalog.Validation,
                $"{reference} declares the MCP server '{name}' at {ProblemWriter.Truncate(url, 200)}, which is not on this deployment's allow-list (its HTTP MCP servers, SomaAgent:Tools:Mcp:Servers); ask the operator to add it."));
        }
        var source = McpToolNames.Source(allowed.Key);
        var offered = tools.All.Where(t => t.Source == source).Select(t => t.Name).ToList();
        if (server.TryGetProperty("tools", out var wanted) && wanted.ValueKind == JsonValueKind.Array)
        {
            var names = wanted.EnumerateArray().Select(t => McpToolNames.Prefixed(allowed.Key, t.GetString()!)).ToHashSet(StringComparer.Ordinal);
            offered = [.. offered.Where(names.Contains)];
        }
        return (offered, null);
    }

    private static bool SameUrl(string? configured, string declared) =>
        Uri.TryCreate(configured, UriKind.Absolute, out var a) && Uri.TryCreate(declared, UriKind.Absolute, out var b)
        && Uri.Compare(a, b, UriComponents.HttpRequestUrl, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static int? Limit(JsonElement limits, string name) =>
        limits.ValueKind == JsonValueKind.Object && limits.TryGetProperty(name, out var value) ? value.GetInt32() : null;

    private static CapsuleRefusal Unavailable(string detail) => new(ProblemCatalog.RegistryUnavailable, detail + " Retry shortly.");

    private sealed record Resolved(
        Guid InstallationId, string Capsule, string Version, string Digest, string Status, bool Yanked, string? YankReason, string SignatureStatus, JsonElement Manifest);
}

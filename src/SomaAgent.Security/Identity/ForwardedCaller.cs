using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace SomaAgent.Security.Identity;

/// <summary>
/// Section <c>SomaAgent:Internal</c>; <c>SOMAAGENT_INTERNAL_SECRET</c> overrides <see cref="Secret"/>. The secret the
/// gateway and the services behind it share, so a request the gateway authenticated is not authenticated again.
/// </summary>
public sealed class InternalAuthOptions
{
    public const string SectionName = "SomaAgent:Internal";

    /// <summary>At least 32 characters; the AppHost generates one. Unset: the gateway forwards the caller's own credential.</summary>
    [MinLength(32)]
    public string? Secret { get; set; }

    /// <summary>
    /// Whether this service takes the caller from <see cref="ForwardedCaller.HeaderName"/> (a service behind the
    /// gateway). The gateway itself never does: it ignores the header from clients and replaces it when forwarding.
    /// </summary>
    public bool AcceptForwardedCallers { get; set; }

    /// <summary>How long a forwarded caller stays valid: enough for the hop, too short to replay. Default 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The caller the gateway authenticated, handed to the service it forwards the request to in the
/// <see cref="HeaderName"/> header: tenant, subject, scopes and how they were proven, bound to the request's method
/// and path and to a short expiry, signed with HMAC-SHA256 under the shared <see cref="InternalAuthOptions.Secret"/>.
/// The service accepts it instead of the key or token, so the key store is read, the rate limits counted and
/// failures audited once, at the gateway.
/// </summary>
public sealed class ForwardedCaller(IOptions<InternalAuthOptions> options, TimeProvider time)
{
    public const string HeaderName = "X-SomaAgent-Caller";
    private const string Version = "v1";

    /// <summary>Whether a secret is configured (the gateway forwards the caller's own credential otherwise).</summary>
    public bool Enabled => options.Value.Secret is { Length: > 0 };

    /// <summary>Whether this service reads the caller from the header (see <see cref="InternalAuthOptions.AcceptForwardedCallers"/>).</summary>
    public bool Accepts => options.Value.AcceptForwardedCallers;

    /// <summary>The header value for <paramref name="user"/>'s request <paramref name="method"/> <paramref name="path"/>.</summary>
    public string Sign(ClaimsPrincipal user, string method, string path)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Sign(new Payload(
            user.FindFirst(SomaAgentClaims.Tenant)?.Value ?? "",
            user.FindFirst(SomaAgentClaims.Subject)?.Value ?? "",
            user.Identity?.AuthenticationType ?? "",
            user.FindFirst(SomaAgentClaims.KeyName)?.Value,
            [.. user.FindAll(SomaAgentClaims.Scope).Select(c => c.Value)],
            method, path, 0));
    }

    /// <summary>
    /// The header value for a call the gateway makes itself on a caller's behalf (resolving the capsule a session
    /// takes on): the caller's tenant and subject, with only the <paramref name="scopes"/> that call needs.
    /// </summary>
    public string SignOnBehalf(string tenant, string subject, IReadOnlyList<string> scopes, string method, string path) =>
        Sign(new Payload(tenant, subject, "gateway", null, scopes, method, path, 0));

    private string Sign(Payload payload)
    {
        var signed = payload with
        {
            Method = payload.Method.ToUpperInvariant(),
            ExpiresAt = (time.GetUtcNow() + options.Value.Lifetime).ToUnixTimeSeconds(),
        };
        var body = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(signed, ForwardedCallerJson.Default.Payload));
        return $"{Version}.{body}.{Base64Url.EncodeToString(Mac(body))}";
    }

    /// <summary>The caller the header names, or why it is refused (forged, expired, for another request, or not accepted here).</summary>
    public (Payload? Caller, string? Failure) Verify(string header, string method, string path)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (!Enabled)
        {
            return (null, $"This service does not take {HeaderName}: no internal secret is configured (SOMAAGENT_INTERNAL_SECRET).");
        }
        var parts = header.Split('.');
        if (parts.Length != 3 || parts[0] != Version)
        {
            return (null, $"The {HeaderName} header is malformed.");
        }
        try
        {
            if (!CryptographicOperations.FixedTimeEquals(Base64Url.DecodeFromChars(parts[2]), Mac(parts[1])))
            {
                return (null, $"The {HeaderName} header is not signed with this platform's internal secret.");
            }
            var payload = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[1]), ForwardedCallerJson.Default.Payload);
            if (payload is null || payload.Tenant.Length == 0 || payload.Subject.Length == 0)
            {
                return (null, $"The {HeaderName} header names no caller.");
            }
            if (payload.ExpiresAt < time.GetUtcNow().ToUnixTimeSeconds())
            {
                return (null, $"The {HeaderName} header has expired.");
            }
            if (!string.Equals(payload.Method, method, StringComparison.OrdinalIgnoreCase) || !string.Equals(payload.Path, path, StringComparison.Ordinal))
            {
                return (null, $"The {HeaderName} header was issued for another request.");
            }
            return (payload, null);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return (null, $"The {HeaderName} header is malformed.");
        }
    }

    private byte[] Mac(string body) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Secret!), Encoding.ASCII.GetBytes(body));

    /// <summary>What the header carries.</summary>
    public sealed record Payload(
        [property: JsonPropertyName("t")] string Tenant,
        [property: JsonPropertyName("s")] string Subject,
        [property: JsonPropertyName("c")] string Credential,
        [property: JsonPropertyName("n")] string? Name,
        [property: JsonPropertyName("sc")] IReadOnlyList<string> Scopes,
        [property: JsonPropertyName("m")] string Method,
        [property: JsonPropertyName("p")] string Path,
        [property: JsonPropertyName("exp")] long ExpiresAt);
}

[JsonSerializable(typeof(ForwardedCaller.Payload))]
internal sealed partial class ForwardedCallerJson : JsonSerializerContext;

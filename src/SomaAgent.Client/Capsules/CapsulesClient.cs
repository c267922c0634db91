using System.Globalization;
using System.Net.Http.Headers;

namespace SomaAgent.Client.Capsules;

/// <summary>The capsule marketplace: publish, search, read, download, yank and unyank.</summary>
public sealed class CapsulesClient
{
    private readonly ApiConnection _api;

    internal CapsulesClient(ApiConnection api) => _api = api;

    /// <summary>Publishes a signed version (multipart); the first publish of a name makes the tenant its owner.</summary>
    public async Task<CapsuleVersion> PublishAsync(PublishCapsuleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var form = new MultipartFormDataContent();
        var package = new ByteArrayContent(request.Package);
        package.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        form.Add(package, "package", "capsule.tar.gz");
        form.Add(new StringContent(request.Signature), "signature");
        form.Add(new StringContent(request.KeyId), "key_id");
        form.Add(new StringContent(request.Public ? "public" : "private"), "visibility");
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/capsules") { Content = form };
        return await _api.SendAsync(message, ClientJsonContext.Default.CapsuleVersion, cancellationToken);
    }

    /// <summary>Public capsules and the tenant's own, by name.</summary>
    public Task<Page<CapsuleSummary>> SearchAsync(string? query = null, string? tag = null, string? publisher = null, int? limit = null, string? cursor = null,
        CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/capsules" + ApiConnection.Query(("q", query), ("tag", tag), ("publisher", publisher),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)), ClientJsonContext.Default.PageCapsuleSummary, cancellationToken);

    public Task<CapsuleDetail> GetAsync(string name, CancellationToken cancellationToken = default) =>
        _api.GetAsync($"v1/capsules/{Uri.EscapeDataString(name)}", ClientJsonContext.Default.CapsuleDetail, cancellationToken);

    public Task<CapsuleVersion> GetVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        _api.GetAsync(VersionPath(name, version), ClientJsonContext.Default.CapsuleVersion, cancellationToken);

    /// <summary>The package's bytes (counts a download).</summary>
    public async Task<byte[]> DownloadPackageAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        using var content = await _api.GetContentAsync(VersionPath(name, version) + "/package", cancellationToken);
        return await content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>The signature, base64 DER (cosign's <c>.sig</c>).</summary>
    public async Task<string> GetSignatureAsync(string name, string version, CancellationToken cancellationToken = default) =>
        (await GetTextAsync(VersionPath(name, version) + "/signature", cancellationToken)).Trim();

    /// <summary>The Sigstore bundle JSON.</summary>
    public Task<string> GetBundleAsync(string name, string version, CancellationToken cancellationToken = default) =>
        GetTextAsync(VersionPath(name, version) + "/bundle", cancellationToken);

    public async Task<CapsuleVersion> YankAsync(string name, string version, string reason, CancellationToken cancellationToken = default)
    {
        using var message = ApiConnection.Json(HttpMethod.Post, VersionPath(name, version) + "/yank", new YankBody(reason), ClientJsonContext.Default.YankBody);
        return await _api.SendAsync(message, ClientJsonContext.Default.CapsuleVersion, cancellationToken);
    }

    public async Task<CapsuleVersion> UnyankAsync(string name, string version, string? reason = null, CancellationToken cancellationToken = default)
    {
        using var message = ApiConnection.Json(HttpMethod.Post, VersionPath(name, version) + "/unyank", new YankBody(reason), ClientJsonContext.Default.YankBody);
        return await _api.SendAsync(message, ClientJsonContext.Default.CapsuleVersion, cancellationToken);
    }

    private async Task<string> GetTextAsync(string path, CancellationToken cancellationToken)
    {
        using var content = await _api.GetContentAsync(path, cancellationToken);
        return await content.ReadAsStringAsync(cancellationToken);
    }

    private static string VersionPath(string name, string version) => $"v1/capsules/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(version)}";
}

/// <summary>The tenant's publisher keys (<c>capsules:publish</c>).</summary>
public sealed class SigningKeysClient
{
    private readonly ApiConnection _api;

    internal SigningKeysClient(ApiConnection api) => _api = api;

    /// <summary>Registers an ECDSA P-256 public key (PEM); the answer carries its <c>key_id</c>.</summary>
    public async Task<SigningKeyInfo> RegisterAsync(string name, string publicKeyPem, CancellationToken cancellationToken = default)
    {
        using var message = ApiConnection.Json(HttpMethod.Post, "v1/signing-keys", new RegisterSigningKeyBody(name, publicKeyPem), ClientJsonContext.Default.RegisterSigningKeyBody);
        return await _api.SendAsync(message, ClientJsonContext.Default.SigningKeyInfo, cancellationToken);
    }

    public Task<Page<SigningKeyInfo>> ListAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/signing-keys" + ApiConnection.Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            ClientJsonContext.Default.PageSigningKeyInfo, cancellationToken);

    public Task<SigningKeyInfo> GetAsync(string keyId, CancellationToken cancellationToken = default) =>
        _api.GetAsync($"v1/signing-keys/{Uri.EscapeDataString(keyId)}", ClientJsonContext.Default.SigningKeyInfo, cancellationToken);

    /// <summary>The tenant's key with this id (revoked ones too), or null when it has none.</summary>
    public async Task<SigningKeyInfo?> FindAsync(string keyId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync(keyId, cancellationToken);
        }
        catch (SomaAgentProblemException problem) when (problem.Status == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task RevokeAsync(string keyId, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Delete, $"v1/signing-keys/{Uri.EscapeDataString(keyId)}");
        await _api.SendAsync(message, cancellationToken);
    }
}

/// <summary>The tenant's installed capsule versions (<c>capsules:install</c>).</summary>
public sealed class InstallationsClient
{
    private readonly ApiConnection _api;

    internal InstallationsClient(ApiConnection api) => _api = api;

    /// <summary>Installs <paramref name="capsule"/> (<c>name</c> or <c>name@version</c>; default its latest version).</summary>
    public async Task<InstallationInfo> InstallAsync(string capsule, string? version = null, CancellationToken cancellationToken = default)
    {
        using var message = ApiConnection.Json(HttpMethod.Post, "v1/installations", new InstallBody(capsule, version), ClientJsonContext.Default.InstallBody);
        return await _api.SendAsync(message, ClientJsonContext.Default.InstallationInfo, cancellationToken);
    }

    public Task<Page<InstallationInfo>> ListAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/installations" + ApiConnection.Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            ClientJsonContext.Default.PageInstallationInfo, cancellationToken);

    public Task<InstallationInfo> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        _api.GetAsync($"v1/installations/{id}", ClientJsonContext.Default.InstallationInfo, cancellationToken);

    public async Task UninstallAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Delete, $"v1/installations/{id}");
        await _api.SendAsync(message, cancellationToken);
    }
}

namespace SomaAgent.Client.Keys;

/// <summary>The caller's tenant's API keys (<c>tenant:admin</c>).</summary>
public sealed class KeysClient
{
    private readonly ApiConnection _api;

    internal KeysClient(ApiConnection api) => _api = api;

    /// <summary>Creates a key; its secret is in the answer and nowhere else.</summary>
    public async Task<KeyCreated> CreateAsync(CreateKeyRequest request, CancellationToken cancellationToken = default)
    {
        using var message = ApiConnection.Json(HttpMethod.Post, "v1/keys", request, ClientJsonContext.Default.CreateKeyRequest);
        return await _api.SendAsync(message, ClientJsonContext.Default.KeyCreated, cancellationToken);
    }

    public Task<KeyList> ListAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/keys", ClientJsonContext.Default.KeyList, cancellationToken);

    public Task<KeyInfo> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        _api.GetAsync($"v1/keys/{id}", ClientJsonContext.Default.KeyInfo, cancellationToken);

    /// <summary>Revokes the key, with immediate effect.</summary>
    public async Task RevokeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Delete, $"v1/keys/{id}");
        await _api.SendAsync(message, cancellationToken);
    }
}

/// <summary>Tenants and their first admin keys (<c>platform:admin</c>).</summary>
public sealed class TenantsClient
{
    private readonly ApiConnection _api;

    internal TenantsClient(ApiConnection api) => _api = api;

    public async Task<TenantCreated> CreateAsync(CreateTenantRequest request, CancellationToken cancellationToken = default)
    {
        using var message = ApiConnection.Json(HttpMethod.Post, "v1/tenants", request, ClientJsonContext.Default.CreateTenantRequest);
        return await _api.SendAsync(message, ClientJsonContext.Default.TenantCreated, cancellationToken);
    }

    public Task<TenantList> ListAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/tenants", ClientJsonContext.Default.TenantList, cancellationToken);

    public Task<TenantInfo> GetAsync(string id, CancellationToken cancellationToken = default) =>
        _api.GetAsync($"v1/tenants/{Uri.EscapeDataString(id)}", ClientJsonContext.Default.TenantInfo, cancellationToken);
}

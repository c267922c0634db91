using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// An HTTP fake of Vault's KV version 2 read API, on a random loopback port (no Vault server can run here):
/// <c>GET /v1/{mount}/data/{path}</c> with <c>X-Vault-Token</c> answers <c>{"data":{"data":{…},"metadata":{…}}}</c>;
/// a missing or wrong token gets 403 <c>{"errors":["permission denied"]}</c>, an unknown mount or path 404
/// <c>{"errors":[]}</c>, as the real server does.
/// </summary>
public sealed class VaultKvFake : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Dictionary<string, string>> _secrets = new(StringComparer.Ordinal);
    private readonly WebApplication _app;
    private static readonly string[] PermissionDenied = ["permission denied"];

    private VaultKvFake(WebApplication app, string token)
    {
        _app = app;
        Token = token;
    }

    /// <summary>The only token the fake accepts.</summary>
    public string Token { get; }

    /// <summary>Its base URL (<c>VAULT_ADDR</c>).</summary>
    public string Address { get; private set; } = "";

    public static async Task<VaultKvFake> StartAsync(string token, CancellationToken cancellationToken)
    {
        var app = LoopbackHttpServer.Create();
        var fake = new VaultKvFake(app, token);
        app.MapGet("/v1/{mount}/data/{**path}", fake.Read);
        fake.Address = (await app.StartOnLoopbackAsync(cancellationToken)).ToString().TrimEnd('/');
        return fake;
    }

    /// <summary>Writes (replaces) the secret at <c>{mount}/data/{path}</c>, like <c>vault kv put -mount=MOUNT PATH k=v</c>.</summary>
    public void Put(string mount, string path, Dictionary<string, string> data) => _secrets[$"{mount}/{path.Trim('/')}"] = data;

    private IResult Read(string mount, string path, HttpRequest request)
    {
        if (request.Headers["X-Vault-Token"] is not { Count: 1 } token || token[0] != Token)
        {
            return Results.Json(new { errors = PermissionDenied }, statusCode: StatusCodes.Status403Forbidden);
        }
        if (!_secrets.TryGetValue($"{mount}/{path.Trim('/')}", out var data))
        {
            return Results.Json(new { errors = Array.Empty<string>() }, statusCode: StatusCodes.Status404NotFound);
        }
        return Results.Json(new
        {
            request_id = Guid.NewGuid(),
            lease_id = "",
            renewable = false,
            lease_duration = 0,
            data = new
            {
                data,
                metadata = new { created_time = DateTimeOffset.UtcNow, custom_metadata = (object?)null, deletion_time = "", destroyed = false, version = 1 },
            },
            wrap_info = (object?)null,
            warnings = (object?)null,
            auth = (object?)null,
        });
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>Creates tenants and keys through the API, as an operator would, for the security tests.</summary>
internal static class SecurityClient
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new tenant (unique id) and the secret of its first <c>tenant:admin</c> key.</summary>
    public static async Task<(string Tenant, string AdminKey)> CreateTenantAsync(GatewayApp app)
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..12];
        using var admin = app.CreateClient();
        using var response = await admin.PostAsJsonAsync("/v1/tenants", new { id }, GatewayApp.Json, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
        return (id, body.GetProperty("admin_key").GetProperty("secret").GetString()!);
    }

    /// <summary>Creates a key with <paramref name="scopes"/> using <paramref name="creatorKey"/>; returns the whole answer.</summary>
    public static async Task<JsonElement> CreateKeyAsync(GatewayApp app, string creatorKey, string[] scopes, DateTimeOffset? expiresAt = null)
    {
        using var client = app.CreateClientWith(creatorKey);
        using var response = await client.PostAsJsonAsync("/v1/keys", new { name = "test key", scopes, expires_at = expiresAt }, GatewayApp.Json, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
    }

    /// <summary>Every operation of the app's served OpenAPI document under <c>/v1/</c>, as (path template, lower-case method).</summary>
    public static async Task<List<(string Path, string Method)>> ApiOperationsAsync(GatewayApp app)
    {
        string[] methods = ["get", "post", "put", "patch", "delete"];
        using var anonymous = app.CreateAnonymousClient();
        var document = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync("/openapi.json", Ct))!;
        var operations = document["paths"]!.AsObject()
            .Where(p => p.Key.StartsWith("/v1/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Where(o => methods.Contains(o.Key)).Select(o => (Path: p.Key, Method: o.Key)))
            .ToList();
        operations.Count.ShouldBeGreaterThan(10);
        return operations;
    }

    public static string SecretOf(JsonElement created) => created.GetProperty("secret").GetString()!;

    public static Guid IdOf(JsonElement created) => created.GetProperty("key").GetProperty("id").GetGuid();

    /// <summary>
    /// GETs <paramref name="path"/> until it is refused, failing once <paramref name="within"/> has passed since the call
    /// (a replica that cached the key hears of its revocation within a second); returns the refusal's detail.
    /// </summary>
    public static async Task<string> ShouldBeUnauthorizedWithinAsync(HttpClient client, string path, TimeSpan within)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var response = await client.GetAsync(path, Ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                waited.Elapsed.ShouldBeLessThan(within);
                return await ShouldBeUnauthorizedAsync(response);
            }
            response.Dispose();
            waited.Elapsed.ShouldBeLessThan(within, $"{path} still accepted the revoked key");
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Asserts a 401 problem+json with <c>WWW-Authenticate: Bearer</c>; returns its detail.</summary>
    public static async Task<string> ShouldBeUnauthorizedAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, await response.Content.ReadAsStringAsync(Ct));
        response.Headers.WwwAuthenticate.ShouldNotBeEmpty();
        response.Headers.WwwAuthenticate.First().Scheme.ShouldBe("Bearer");
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
        problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:unauthorized");
        return problem.GetProperty("detail").GetString()!;
    }

    /// <summary>Asserts a 403 problem; returns its detail.</summary>
    public static async Task<string> ShouldBeForbiddenAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden, await response.Content.ReadAsStringAsync(Ct));
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
        problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:forbidden");
        return problem.GetProperty("detail").GetString()!;
    }
}

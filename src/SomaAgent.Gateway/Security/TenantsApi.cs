using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Gateway.Problems;
using SomaAgent.Security;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Keys;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Security;

/// <summary>Tenants: only a platform admin creates, lists and reads them, and gets each new tenant's first admin key.</summary>
public static partial class TenantsApi
{
    public static IEndpointRouteBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Tenants");

        api.MapPost("/tenants", CreateTenant)
            .WithName("CreateTenant")
            .WithSummary("Create a tenant and its first admin key")
            .WithDescription("Needs `platform:admin`. The answer carries the tenant's first `tenant:admin` key; its secret is shown this once.")
            .RequireAuthorization(ApiKeyScopes.PlatformAdmin)
            .Accepts<CreateTenantRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/tenants", ListTenants)
            .WithName("ListTenants")
            .WithSummary("List the tenants")
            .RequireAuthorization(ApiKeyScopes.PlatformAdmin);

        api.MapGet("/tenants/{id}", GetTenant)
            .WithName("GetTenant")
            .WithSummary("Read one tenant")
            .RequireAuthorization(ApiKeyScopes.PlatformAdmin)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<TenantCreated>, ProblemHttpResult>> CreateTenant(
        CreateTenantRequest request, ApiKeyStore store, CallerAccessor callers, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (request.Id is null || !TenantId().IsMatch(request.Id))
        {
            return Problem.Validation("id", $"id is required: {TenantIdRule}");
        }
        var name = string.IsNullOrWhiteSpace(request.Name) ? request.Id : request.Name.Trim();
        if (name.Length > 256)
        {
            return Problem.Validation("name", "name must be at most 256 characters.");
        }
        if (await store.CreateTenantAsync(request.Id, name, callers.Current.Subject, cancellationToken) is not var (tenant, key))
        {
            return Problem.Of(ProblemCatalog.TenantExists, $"A tenant '{request.Id}' already exists.");
        }
        await audit.RecordAsync(http, AuditEvents.TenantCreated, AuditDecisions.Allow, $"tenant '{tenant.Id}' created with admin key {key.Record.Id}", tenant.Id);
        return TypedResults.Created($"/v1/tenants/{tenant.Id}",
            new TenantCreated(new TenantInfo(tenant.Id, tenant.Name, tenant.CreatedAt), new KeyCreated(KeyInfo.From(key.Record), key.Secret)));
    }

    public static async Task<Results<Ok<TenantInfo>, ProblemHttpResult>> GetTenant(string id, ApiKeyStore store, CancellationToken cancellationToken)
    {
        if (!TenantId().IsMatch(id))
        {
            return Problem.Validation("id", $"'{Problem.Truncate(id)}' is not a tenant id; tenant ids are {TenantIdRule}");
        }
        return await store.FindTenantAsync(id, cancellationToken) is { } tenant
            ? TypedResults.Ok(new TenantInfo(tenant.Id, tenant.Name, tenant.CreatedAt))
            : Problem.TenantNotFound(id);
    }

    public static async Task<Ok<TenantList>> ListTenants(ApiKeyStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new TenantList([.. (await store.ListTenantsAsync(cancellationToken)).Select(t => new TenantInfo(t.Id, t.Name, t.CreatedAt))]));

    private const string TenantIdRule = "1 to 63 lower-case letters, digits and dashes, starting with a letter or digit (for example `acme`).";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex TenantId();
}

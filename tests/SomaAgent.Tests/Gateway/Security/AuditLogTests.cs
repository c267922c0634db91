using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>Every refusal and every key change leaves one JSON line in the audit log, and the log outlives the process.</summary>
public sealed class AuditLogTests
{
    private static readonly string[] Fields = ["timestamp", "event", "tenant", "subject", "method", "route", "decision", "reason", "trace_id", "client_address"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_without_credentials_is_recorded_as_authentication_failed()
    {
        await using var app = new GatewayApp();
        using var anonymous = app.CreateAnonymousClient();

        (await anonymous.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var entry = await AuditFile.WaitForAsync(app.AuditFile, e => e.Field("event") == "authentication_failed", Ct);
        entry.EnumerateObject().Select(p => p.Name).ShouldBe(Fields, ignoreOrder: true);
        entry.Field("decision").ShouldBe("deny");
        entry.Field("method").ShouldBe("GET");
        entry.Field("route").ShouldBe("/v1/sessions");
        entry.Field("tenant").ShouldBeNull();
        entry.Field("subject").ShouldBeNull();
        entry.Field("reason")!.ShouldContain("needs an API key");
        entry.Field("trace_id").ShouldNotBeNullOrEmpty();
        DateTimeOffset.Parse(entry.Field("timestamp")!, System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBe(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task An_unknown_key_is_recorded_without_any_part_of_the_secret()
    {
        await using var app = new GatewayApp();
        const string Unknown = "sk_0123456789ab_thisIsNotARealSecretButLongEnough0123456789"; // secret-scan: allow (never issued)
        using var client = app.CreateClientWith(Unknown);

        (await client.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var entry = await AuditFile.WaitForAsync(app.AuditFile, e => e.Field("event") == "authentication_failed", Ct);
        entry.Field("reason").ShouldBe("The API key is not valid.");
        entry.Field("route").ShouldBe("/v1/models");
        File.ReadAllText(app.AuditFile).ShouldNotContain("thisIsNotARealSecret");
    }

    [Fact]
    public async Task A_missing_scope_is_recorded_as_scope_denied_with_tenant_and_key()
    {
        await using var app = new GatewayApp();
        var (tenant, admin) = await CreateTenantAsync(app);
        var reader = await CreateKeyAsync(app, admin, ["sessions:read"]);
        using var client = app.CreateClientWith(SecretOf(reader));

        (await client.PostAsJsonAsync("/v1/sessions", new { input = "hi" }, GatewayApp.Json, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var entry = await AuditFile.WaitForAsync(app.AuditFile, e => e.Field("event") == "scope_denied", Ct);
        entry.Field("tenant").ShouldBe(tenant);
        entry.Field("subject").ShouldBe(IdOf(reader).ToString());
        entry.Field("method").ShouldBe("POST");
        entry.Field("route").ShouldBe("/v1/sessions");
        entry.Field("decision").ShouldBe("deny");
        entry.Field("reason").ShouldBe("This route needs the scope 'sessions:write', which the credential does not carry.");
    }

    [Fact]
    public async Task A_tenant_header_naming_another_tenant_is_recorded_as_tenant_mismatch()
    {
        await using var app = new GatewayApp();
        var (tenant, admin) = await CreateTenantAsync(app);
        using var client = app.CreateClientWith(admin);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/keys") { Headers = { { "X-Tenant-Id", "someone-else" } } };

        (await client.SendAsync(request, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var entry = await AuditFile.WaitForAsync(app.AuditFile, e => e.Field("event") == "tenant_mismatch", Ct);
        entry.Field("tenant").ShouldBe(tenant);
        entry.Field("route").ShouldBe("/v1/keys");
        entry.Field("reason")!.ShouldContain($"'{tenant}'");
    }

    [Fact]
    public async Task Creating_and_revoking_a_key_are_recorded_with_the_key_id()
    {
        await using var app = new GatewayApp();
        var (tenant, admin) = await CreateTenantAsync(app);
        var created = await CreateKeyAsync(app, admin, ["sessions:read"]);
        using var client = app.CreateClientWith(admin);
        (await client.DeleteAsync($"/v1/keys/{IdOf(created)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var id = IdOf(created).ToString();
        var create = await AuditFile.WaitForAsync(app.AuditFile, e => e.Field("event") == "key_created" && e.Field("reason")!.Contains(id, StringComparison.Ordinal), Ct);
        var revoke = await AuditFile.WaitForAsync(app.AuditFile, e => e.Field("event") == "key_revoked", Ct);
        create.Field("tenant").ShouldBe(tenant);
        create.Field("decision").ShouldBe("allow");
        revoke.Field("tenant").ShouldBe(tenant);
        revoke.Field("route").ShouldBe("/v1/keys/{id}");
        revoke.Field("reason").ShouldBe($"key {id} revoked");
        File.ReadAllText(app.AuditFile).ShouldNotContain(SecretOf(created));
    }

    [Fact]
    public void An_audit_log_that_cannot_be_opened_stops_the_start_naming_the_path()
    {
        var blocker = Path.GetTempFileName(); // a file where the log's folder would have to be
        var app = new GatewayApp(settings: new Dictionary<string, string?> { ["SomaAgent:Audit:Path"] = Path.Combine(blocker, "audit.jsonl") });

        var error = Should.Throw<InvalidOperationException>(() => _ = app.Server);

        error.Message.ShouldContain(blocker);
        error.Message.ShouldContain("AUDIT_LOG_PATH");
    }

    [Fact]
    public async Task The_log_survives_a_restart_and_is_appended_to()
    {
        string auditFile, database;
        await using (var first = new GatewayApp())
        {
            using var anonymous = first.CreateAnonymousClient();
            (await anonymous.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            await AuditFile.WaitForAsync(first.AuditFile, e => e.Field("route") == "/v1/sessions", Ct);
            (auditFile, database) = (first.AuditFile, first.DatabaseFile);
        }
        var beforeRestart = File.ReadAllLines(auditFile);

        await using var second = new GatewayApp(database);
        using var again = second.CreateAnonymousClient();
        (await again.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await AuditFile.WaitForAsync(second.AuditFile, e => e.Field("route") == "/v1/models", Ct);

        second.AuditFile.ShouldBe(auditFile);
        var afterRestart = File.ReadAllLines(auditFile);
        afterRestart.Take(beforeRestart.Length).ShouldBe(beforeRestart);
        afterRestart.Length.ShouldBe(beforeRestart.Length + 1);
        afterRestart.ShouldAllBe(line => JsonDocument.Parse(line, default).RootElement.ValueKind == JsonValueKind.Object);
    }
}

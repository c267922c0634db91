using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>The first credential: SOMAAGENT_BOOTSTRAP_KEY when set, otherwise a key generated and printed once.</summary>
public sealed partial class BootstrapKeyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_configured_bootstrap_key_works_and_stays_one_key_across_restarts()
    {
        string file;
        await using (var first = new GatewayApp())
        {
            file = first.DatabaseFile;
            using var client = first.CreateClient();
            (await client.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await using var second = new GatewayApp(file);
        using var again = second.CreateClient();
        (await again.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await BootstrapKeysAsync(second)).Count(k => k.RevokedAt == null).ShouldBe(1);
    }

    [Fact]
    public async Task Changing_the_bootstrap_key_rotates_it_and_going_back_restores_the_old_one()
    {
        const string rotated = "sk-test-rotated-bootstrap-key-0123456789abcdef";
        string file;
        await using (var first = new GatewayApp())
        {
            file = first.DatabaseFile;
            _ = first.Server;
        }

        await using (var second = new GatewayApp(file, settings: new Dictionary<string, string?> { ["SOMAAGENT_BOOTSTRAP_KEY"] = rotated }))
        {
            using var newKey = second.CreateClientWith(rotated);
            (await newKey.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
            using var oldKey = second.CreateClientWith(GatewayApp.BootstrapKey);
            (await oldKey.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        await using var third = new GatewayApp(file);
        using var original = third.CreateClient();
        (await original.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var rotatedAway = third.CreateClientWith(rotated);
        (await rotatedAway.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Without_a_configured_key_the_first_embedded_start_writes_one_to_a_user_only_file_and_never_to_the_log()
    {
        var noKey = new Dictionary<string, string?> { ["SOMAAGENT_BOOTSTRAP_KEY"] = "" };
        using var firstLogs = new LogCapture();
        string file;
        string secret;
        string keyFile;
        await using (var first = new GatewayApp(settings: noKey, logs: firstLogs))
        {
            file = first.DatabaseFile;
            keyFile = Path.Combine(Path.GetDirectoryName(file)!, "bootstrap-key.txt");
            _ = first.Server;
            secret = GeneratedKey().Match(await File.ReadAllTextAsync(keyFile, Ct)).Value;
            secret.ShouldNotBeEmpty();
            if (!OperatingSystem.IsWindows())
            {
                File.GetUnixFileMode(keyFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            var announced = firstLogs.Lines.Where(l => l.Contains("SOMAAGENT_BOOTSTRAP_KEY", StringComparison.Ordinal)).ToList();
            announced.ShouldHaveSingleItem().ShouldStartWith("Warning:");
            announced[0].ShouldContain(keyFile);
            firstLogs.Lines.ShouldNotContain(l => l.Contains(secret, StringComparison.Ordinal));
            using var client = first.CreateClientWith(secret);
            (await client.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        File.Delete(keyFile);
        using var secondLogs = new LogCapture();
        await using var second = new GatewayApp(file, settings: noKey, logs: secondLogs);
        _ = second.Server;
        File.Exists(keyFile).ShouldBeFalse();
        secondLogs.Lines.ShouldNotContain(l => l.Contains("SOMAAGENT_BOOTSTRAP_KEY", StringComparison.Ordinal));
        using var again = second.CreateClientWith(secret);
        (await again.GetAsync("/v1/tenants", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static async Task<List<ApiKeyRecord>> BootstrapKeysAsync(GatewayApp app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>().CreateDbContextAsync(Ct);
        return await db.ApiKeys.Where(k => k.CreatedBy == "bootstrap").ToListAsync(Ct);
    }

    [GeneratedRegex("sk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")]
    private static partial Regex GeneratedKey();
}

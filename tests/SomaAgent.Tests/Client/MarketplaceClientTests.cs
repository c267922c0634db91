using System.Net;
using System.Security.Cryptography;
using SomaAgent.Client;
using SomaAgent.Client.Capsules;
using SomaAgent.Client.Keys;
using SomaAgent.Client.Sessions;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Registry;
using SomaAgent.Tests.Registry.Marketplace;

namespace SomaAgent.Tests.Client;

/// <summary>The SDK end to end through the gateway's one base URL: tenants, keys, signing keys, capsules, installations, a capsule session.</summary>
[Collection(ForwardingCollection.Name)]
public sealed class MarketplaceClientTests(ForwardingGateway apps)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_tenant_publishes_installs_and_runs_a_capsule_through_the_SDK()
    {
        var admin = Client(GatewayApp.BootstrapKey);
        var tenantId = "sdk-" + Guid.NewGuid().ToString("N")[..10];
        var tenant = await admin.Tenants.CreateAsync(new CreateTenantRequest(tenantId), Ct);
        var publisherKey = await Client(tenant.AdminKey.Secret).Keys.CreateAsync(
            new CreateKeyRequest("ci", [Scopes.CapsulesRead, Scopes.CapsulesPublish, Scopes.CapsulesInstall, Scopes.SessionsWrite, Scopes.SessionsRead]), Ct);
        var client = Client(publisherKey.Secret);
        using var signer = new TestPublisher();
        var registered = await client.SigningKeys.RegisterAsync("release", signer.PublicPem, Ct);
        var name = "sdk-" + Guid.NewGuid().ToString("N")[..10];
        var package = CapsuleBuilder.Package(name, "1.0.0", CapsuleBuilder.Manifest(name, "1.0.0", tags: ["sdk"]));

        var published = await client.Capsules.PublishAsync(new PublishCapsuleRequest(package, signer.Sign(package), registered.KeyId), Ct);
        var found = await client.Capsules.SearchAsync(query: name, tag: "sdk", cancellationToken: Ct);
        var downloaded = await client.Capsules.DownloadPackageAsync(name, "1.0.0", Ct);
        var installed = await client.Installations.InstallAsync(name, cancellationToken: Ct);
        var session = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "What is 6*7?", Capsule = name }, cancellationToken: Ct);
        var events = new List<SessionEvent>();
        await foreach (var item in client.Sessions.StreamEventsAsync(session.Id, cancellationToken: Ct))
        {
            events.Add(item);
        }

        published.SignatureStatus.ShouldBe("valid");
        published.Digest.ShouldBe("sha256:" + Convert.ToHexStringLower(SHA256.HashData(package)));
        found.Data.Select(c => c.Name).ShouldBe([name]);
        downloaded.ShouldBe(package);
        installed.Status.ShouldBe("active");
        events[0].Type.ShouldBe(SessionEventTypes.CapsuleAttached);
        string.Concat(events.Select(e => e.Delta)).ShouldContain("42");
        (await client.Installations.ListAsync(cancellationToken: Ct)).Data.Single().Id.ShouldBe(installed.Id);
    }

    [Fact]
    public async Task A_yanked_version_refuses_an_install_as_a_typed_problem()
    {
        var client = Client(GatewayApp.BootstrapKey);
        using var signer = new TestPublisher();
        var key = await client.SigningKeys.RegisterAsync("release", signer.PublicPem, Ct);
        var name = "sdk-" + Guid.NewGuid().ToString("N")[..10];
        var package = CapsuleBuilder.Package(name, "1.0.0");
        await client.Capsules.PublishAsync(new PublishCapsuleRequest(package, signer.Sign(package), key.KeyId, Public: false), Ct);

        var yanked = await client.Capsules.YankAsync(name, "1.0.0", "broken", Ct);
        var problem = await Should.ThrowAsync<SomaAgentProblemException>(() => client.Installations.InstallAsync(name, "1.0.0", Ct));

        yanked.Yanked.ShouldBeTrue();
        problem.Status.ShouldBe(HttpStatusCode.Conflict);
        problem.Type.ShouldBe("urn:somaagent:problem:capsule-yanked");
        problem.Detail!.ShouldContain("broken");
    }

    private SomaAgentClient Client(string key)
    {
        var http = new HttpClient(apps.Gateway.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost/") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return new SomaAgentClient(http);
    }
}

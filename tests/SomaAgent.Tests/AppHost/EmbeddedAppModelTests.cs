using Aspire.Hosting.ApplicationModel;

namespace SomaAgent.Tests.AppHost;

/// <summary>The embedded topology as an app model: four projects and nothing external.</summary>
public sealed class EmbeddedAppModelTests(EmbeddedAppModelTests.Fixture fixture) : IClassFixture<EmbeddedAppModelTests.Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private AppModel App => fixture.App;

    [Fact]
    public void Has_no_container_resources()
    {
        App.Model.Resources.OfType<ContainerResource>().ShouldBeEmpty();
        App.Model.Resources.OfType<IResourceWithConnectionString>().ShouldBeEmpty();
    }

    [Fact]
    public void Runs_exactly_the_three_projects_with_the_workers_inside_the_gateway()
    {
        App.Model.Resources.OfType<ProjectResource>().Select(p => p.Name).Order()
            .ShouldBe(["gateway", "registry", "web"]);
    }

    [Fact]
    public void Web_references_the_gateway_only_and_does_not_wait_for_it()
    {
        var references = App.Resource("web").Annotations.OfType<ResourceRelationshipAnnotation>()
            .Where(r => r.Type == "Reference" && r.Resource is ProjectResource).Select(r => r.Resource.Name).Order();

        references.ShouldBe(["gateway"]);
        App.WaitsOf("web").ShouldBeEmpty();
    }

    [Fact]
    public async Task The_gateway_gets_the_secret_bootstrap_key_and_the_web_holds_no_key()
    {
        var gateway = await App.EnvironmentOfAsync("gateway", Ct);
        var web = await App.EnvironmentOfAsync("web", Ct);

        gateway["SOMAAGENT_BOOTSTRAP_KEY"].ShouldBe("{bootstrap-key.value}");
        web.Keys.ShouldNotContain(k => k.Contains("ApiKey", StringComparison.OrdinalIgnoreCase) || k.Contains("BOOTSTRAP", StringComparison.OrdinalIgnoreCase));
        App.Resource<ParameterResource>("bootstrap-key").Secret.ShouldBeTrue();
    }

    [Fact]
    public async Task Web_finds_the_gateway_through_service_discovery()
    {
        var environment = await App.EnvironmentOfAsync("web", Ct);

        environment["services__gateway__http__0"].ShouldBe("{gateway.bindings.http.url}");
    }

    [Fact]
    public async Task Gateway_listens_on_GATEWAY_PORT_and_keeps_its_data_in_the_configured_directory()
    {
        var endpoint = App.Resource("gateway").Annotations.OfType<EndpointAnnotation>().Single();
        var environment = await App.EnvironmentOfAsync("gateway", Ct);

        endpoint.Port.ShouldBe(8010);
        endpoint.IsExplicitlyProxied.ShouldBe(false);
        environment["GATEWAY_PORT"].ShouldBe("{gateway.bindings.http.targetPort}");
        environment["SomaAgent__DataDirectory"].ShouldBe(Path.GetFullPath(Path.Combine(AppModel.RepositoryRoot, ".data")));
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("registry")]
    [InlineData("web")]
    public void Every_project_has_a_health_check(string name)
    {
        App.Resource(name).Annotations.OfType<HealthCheckAnnotation>().ShouldNotBeEmpty();
    }

    [Fact]
    public void Gateway_waits_for_nothing()
    {
        App.WaitsOf("gateway").ShouldBeEmpty();
    }

    [Fact]
    public async Task Registry_shares_the_gateways_store_and_waits_for_the_gateway_to_create_it()
    {
        var registry = await App.EnvironmentOfAsync("registry", Ct);
        var gateway = await App.EnvironmentOfAsync("gateway", Ct);

        registry["SomaAgent__DataDirectory"].ShouldBe(gateway["SomaAgent__DataDirectory"]);
        App.WaitsOf("registry").ShouldBe(["gateway"]);
    }

    [Fact]
    public async Task Gateway_finds_the_registry_it_forwards_to_without_waiting_for_it()
    {
        var gateway = await App.EnvironmentOfAsync("gateway", Ct);

        gateway["services__registry__http__0"].ShouldBe("{registry.bindings.http.url}");
        App.WaitsOf("gateway").ShouldBeEmpty();
    }

    [Fact]
    public async Task Gateway_and_registry_share_the_generated_internal_secret()
    {
        var gateway = await App.EnvironmentOfAsync("gateway", Ct);
        var registry = await App.EnvironmentOfAsync("registry", Ct);

        gateway["SOMAAGENT_INTERNAL_SECRET"].ShouldBe("{internal-secret.value}");
        registry["SOMAAGENT_INTERNAL_SECRET"].ShouldBe("{internal-secret.value}");
        App.Resource<ParameterResource>("internal-secret").Secret.ShouldBeTrue();
    }

    /// <summary>One embedded model for the class.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private AppModel? _app;

        public AppModel App => _app ?? throw new InvalidOperationException("The fixture is not initialized.");

        public async ValueTask InitializeAsync() =>
            _app = await AppModel.BuildAsync("embedded", TestContext.Current.CancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }
        }
    }
}

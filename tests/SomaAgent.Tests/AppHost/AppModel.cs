using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Tests.AppHost;

/// <summary>
/// The AppHost's app model for one topology, built by the real entry point but never started. The testing
/// builder lets the entry point go on to <c>Run()</c> once the model is built, which in run mode would start
/// the orchestrator (and, with containers, wait ~30 s for a container runtime that is not there). So the
/// entry point runs as the manifest publisher: same model, the run writes a manifest into a temp folder and
/// exits. Environment values resolve the same way, as manifest expressions such as
/// <c>{postgres.connectionString}</c>: they name the resource a value comes from and need no running server. The
/// manifest goes one folder down, as in the repository, so the deployment files written beside and above it stay
/// inside the temp folder.
/// </summary>
public sealed class AppModel : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly DistributedApplication _app;
    private readonly DirectoryInfo _output;

    private AppModel(DistributedApplication app, DirectoryInfo output)
    {
        _app = app;
        _output = output;
        Model = app.Services.GetRequiredService<DistributedApplicationModel>();
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public DistributedApplicationModel Model { get; }

    public static async Task<AppModel> BuildAsync(string topology, CancellationToken cancellationToken)
    {
        var output = Directory.CreateTempSubdirectory("somaagent-manifest-");
        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.SomaAgent_AppHost>(
                [$"SomaAgent:Topology={topology}", "--publisher", "manifest", "--output-path", Path.Combine(output.FullName, "deploy", "aspire-manifest.json")],
                cancellationToken)
            .WaitAsync(Timeout, cancellationToken);
        var app = await builder.BuildAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
        return new AppModel(app, output);
    }

    public IResource Resource(string name) => Model.Resources.Single(r => r.Name == name);

    public T Resource<T>(string name) where T : IResource => Model.Resources.OfType<T>().Single(r => r.Name == name);

    /// <summary>The names of the resources <paramref name="name"/> waits for before it starts.</summary>
    public IReadOnlyList<string> WaitsOf(string name) =>
        Resource(name).Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Order().ToList();

    /// <summary>The resource's environment as the manifest publisher resolves it.</summary>
    public async Task<IReadOnlyDictionary<string, string>> EnvironmentOfAsync(string name, CancellationToken cancellationToken)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(Resource(name))
            .WithEnvironmentVariablesConfig()
            .BuildAsync(_app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), resourceLogger: null, cancellationToken)
            .WaitAsync(Timeout, cancellationToken);
        configuration.Exception.ShouldBeNull();
        return configuration.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value);
    }

    /// <summary>The resource's command-line arguments as the manifest publisher resolves them.</summary>
    public async Task<IReadOnlyList<string>> ArgumentsOfAsync(string name, CancellationToken cancellationToken)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(Resource(name))
            .WithArgumentsConfig()
            .BuildAsync(_app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), resourceLogger: null, cancellationToken)
            .WaitAsync(Timeout, cancellationToken);
        configuration.Exception.ShouldBeNull();
        return configuration.Arguments.Select(a => a.Value).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _output.Delete(recursive: true);
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "global.json")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException($"No global.json above {AppContext.BaseDirectory}.");
    }
}

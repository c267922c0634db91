namespace SomaAgent.AppHost;

/// <summary>
/// What the run command prints on the AppHost's own console when the Web's address is known: where the UI and the
/// gateway are and the key to sign in with. The console only: never a log line, so never in the telemetry.
/// </summary>
internal static class FirstRun
{
    public static void PrintWhereToStart(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> web,
        IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> bootstrapKey)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            return;
        }
        var chosen = !string.IsNullOrEmpty(builder.Configuration["Parameters:bootstrap-key"]);
        var dashboard = builder.Configuration["ASPNETCORE_URLS"]?.Split(';')[0];
        builder.Eventing.Subscribe<ResourceEndpointsAllocatedEvent>(web.Resource, async (_, cancellationToken) =>
        {
            var key = await bootstrapKey.Resource.GetValueAsync(cancellationToken);
            await Console.Out.WriteLineAsync(Banner(web.GetEndpoint("http").Url, gateway.GetEndpoint("http").Url, dashboard, key, chosen));
        });
    }

    public static string Banner(string webUrl, string gatewayUrl, string? dashboardUrl, string? key, bool chosen) => $"""

        SomaAgent is starting.
          Web UI     {webUrl}   sign in with the key below
          Gateway    {gatewayUrl}   REST /v1, docs at /scalar
          Dashboard  {dashboardUrl ?? "(see the line above)"}
          First key  {key}
                     {(chosen ? "the SOMAAGENT_BOOTSTRAP_KEY you started with" : "generated for this AppHost; choose your own with SOMAAGENT_BOOTSTRAP_KEY=... eng/run.sh")}
                     platform admin of tenant 'default': create your own keys in the Web UI (API keys) and keep this one safe.

        """;
}

namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// <c>azure.yaml</c> at the repository root: azd reads the AppHost's app model itself (<c>azd up</c> deploys it to Azure
/// Container Apps), so the file only names the AppHost project.
/// </summary>
internal static class AzdFile
{
    public static string Write(string repositoryRoot, string appHostProjectPath) => DeploymentPlan.GeneratedHeader + $"""
        # azd up: provisions Azure Container Apps from the AppHost's app model (docs/deploy.md).
        name: somaagent
        services:
          app:
            language: dotnet
            project: ./{Path.GetRelativePath(repositoryRoot, appHostProjectPath).Replace('\\', '/')}
            host: containerapp

        """.ReplaceLineEndings("\n");
}

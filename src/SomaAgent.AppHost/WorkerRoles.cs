namespace SomaAgent.AppHost;

/// <summary>The roles of the Workers project (its <c>SomaAgent:Workers:Roles</c>), each its own consumer group and service.</summary>
public static class WorkerRoles
{
    public const string ConversationWorker = "conversation-worker";
    public const string ToolExecutor = "tool-executor";
}

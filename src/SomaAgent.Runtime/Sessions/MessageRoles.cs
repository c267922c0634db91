namespace SomaAgent.Runtime.Sessions;

/// <summary>Roles of transcript messages on the wire (the OpenAI vocabulary).</summary>
public static class MessageRoles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string Tool = "tool";
}

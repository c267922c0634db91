namespace SomaAgent.Security.Identity;

/// <summary>The claims every SomaAgent credential produces, whatever proved it.</summary>
public static class SomaAgentClaims
{
    /// <summary>The tenant the credential belongs to.</summary>
    public const string Tenant = "tenant";

    /// <summary>The principal: an API key's id (never its secret) or a token's subject.</summary>
    public const string Subject = "sub";

    /// <summary>One claim per scope.</summary>
    public const string Scope = "scope";

    /// <summary>The human name of the key.</summary>
    public const string KeyName = "key_name";
}

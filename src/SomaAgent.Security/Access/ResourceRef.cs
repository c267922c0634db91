namespace SomaAgent.Security.Access;

/// <summary>A resource a tenant owns, named as an OpenFGA object (<c>session:&lt;id&gt;</c>).</summary>
public readonly record struct ResourceRef(string Type, string Id)
{
    public static ResourceRef Session(Guid id) => new(ResourceTypes.Session, id.ToString());

    public static ResourceRef ApiKey(Guid id) => new(ResourceTypes.ApiKey, id.ToString());

    /// <summary>The object id as OpenFGA writes it.</summary>
    public string FgaObject => $"{Type}:{Id}";

    public override string ToString() => FgaObject;
}

/// <summary>The resource types access is checked for; each is an OpenFGA type with a <c>tenant</c> relation.</summary>
public static class ResourceTypes
{
    public const string Session = "session";
    public const string ApiKey = "api_key";

    /// <summary>A capsule name (<c>capsule:&lt;name&gt;</c>): its owner publishes, yanks and unyanks; every tenant reads it once it is public.</summary>
    public const string Capsule = "capsule";

    /// <summary>A capsule version installed for a tenant.</summary>
    public const string CapsuleInstallation = "capsule_installation";
}

/// <summary>What a check found. Callers answer <see cref="NotFound"/> and <see cref="OtherTenant"/> alike: no existence leak.</summary>
public enum AccessDecision
{
    Allowed,
    NotFound,
    OtherTenant,
}

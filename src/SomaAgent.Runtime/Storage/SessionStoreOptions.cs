namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Where sessions are stored. <c>ConnectionStrings:postgres</c> selects PostgreSQL; otherwise SQLite at
/// <c>ConnectionStrings:sqlite</c>, or a file in <see cref="DataDirectory"/>.
/// </summary>
public sealed class SessionStoreOptions
{
    public const string SectionName = "SomaAgent";

    /// <summary>Folder for embedded data (SQLite file); relative to the content root. Default: <see cref="DataHome"/>.</summary>
    public string? DataDirectory { get; set; }
}

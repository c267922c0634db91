using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Cli;

/// <summary>What <c>soma login</c> keeps: the gateway's URL and the key. Only the user can read the file.</summary>
internal sealed record CliConfig(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("key")] string Key)
{
    /// <summary><c>SOMA_CONFIG</c>, or <c>~/.config/soma/config.json</c>.</summary>
    public static string DefaultPath(IReadOnlyDictionary<string, string?> environment) =>
        environment.TryGetValue("SOMA_CONFIG", out var path) && !string.IsNullOrEmpty(path)
            ? path
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "soma", "config.json");

    public static CliConfig? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), CliJsonContext.Default.CliConfig) : null;

    /// <summary>Writes the file readable and writable by the user only (0600, its folder 0700), replacing what was there.</summary>
    public void Write(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(path, JsonSerializer.Serialize(this, CliJsonContext.Default.CliConfig));
            return;
        }
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(file, this, CliJsonContext.Default.CliConfig);
        }
        // A file that existed with wider permissions is replaced, not rewritten in place.
        File.Move(temporary, path, overwrite: true);
    }
}

[JsonSerializable(typeof(CliConfig))]
[JsonSerializable(typeof(SomaAgent.Client.Keys.CallerIdentity))]
[JsonSerializable(typeof(SomaAgent.Client.Keys.KeyList))]
[JsonSerializable(typeof(SomaAgent.Client.Keys.KeyCreated))]
[JsonSerializable(typeof(SomaAgent.Client.Sessions.SessionEvent))]
[JsonSerializable(typeof(List<LintOutput>))]
[JsonSerializable(typeof(CapsuleTestReport))]
[JsonSerializable(typeof(PackOutput))]
[JsonSerializable(typeof(SomaAgent.Client.Capsules.CapsuleVersion))]
[JsonSerializable(typeof(SomaAgent.Client.Capsules.InstallationInfo))]
[JsonSerializable(typeof(SomaAgent.Client.Page<SomaAgent.Client.Capsules.CapsuleSummary>))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>What <c>soma capsule pack --json</c> prints: the package written, its size and digest (as the Registry will name it).</summary>
internal sealed record PackOutput(string Path, long Size, string Digest);

/// <summary>One problem of <c>soma capsule lint --json</c>.</summary>
internal sealed record LintOutput(string Path, int? Line, string Message);

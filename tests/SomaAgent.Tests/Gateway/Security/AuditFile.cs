using System.Text.Json;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>Reads the audit log's JSON lines the way an operator's tooling would: the file, line by line.</summary>
internal static class AuditFile
{
    /// <summary>
    /// Every complete entry in the file now: a line the writer is still appending (no newline yet) is left for the
    /// next read, and the writer may hold the latest entries for a few milliseconds.
    /// </summary>
    public static IReadOnlyList<JsonElement> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return [.. text[..(text.LastIndexOf('\n') + 1)]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// <summary>Waits (up to 5 s) for an entry matching <paramref name="match"/> and returns it.</summary>
    public static async Task<JsonElement> WaitForAsync(string path, Func<JsonElement, bool> match, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            if (Read(path).FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new ShouldAssertException($"No matching audit entry in {path}; it holds:\n{string.Join('\n', Read(path).TakeLast(20))}");
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    public static string? Field(this JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

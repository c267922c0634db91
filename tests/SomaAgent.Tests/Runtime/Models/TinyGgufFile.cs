namespace SomaAgent.Tests.Runtime.Models;

/// <summary>A temporary folder holding the tiny test model (<see cref="TinyGgufWriter"/>), deleted afterwards.</summary>
public sealed class TinyGgufFile : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("somaagent-gguf-");

    public TinyGgufFile()
    {
        Path = TinyGgufWriter.Write(System.IO.Path.Combine(_folder.FullName, "tiny.gguf"));
    }

    /// <summary>Absolute path of the tiny model.</summary>
    public string Path { get; }

    /// <summary>The folder the model lives in; tests add their own variants here.</summary>
    public string Folder => _folder.FullName;

    public void Dispose() => _folder.Delete(recursive: true);
}

using System.Diagnostics;
using System.Reflection;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Registry.Signing;

/// <summary>Verifiers that are not ours: openssl for signatures, npm's @sigstore/verify for bundles (both installed by eng/install-test-deps.sh).</summary>
internal static class ExternalVerifiers
{
    private static string SigstoreDirectory { get; } = typeof(ExternalVerifiers).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SigstoreDirectory").Value!;

    /// <summary>Verifies a key-based bundle over the package offline; exit code 0 and "verified" when it holds.</summary>
    public static Task<(int ExitCode, string Output)> SigstoreVerifyAsync(string bundle, string package, string publicKey, string keyId) =>
        NodeServer.RunAsync(SigstoreDirectory, "@sigstore/verify", "verify.js", bundle, package, publicKey, keyId);

    /// <summary>Runs openssl and returns its output; fails the test on a non-zero exit.</summary>
    public static string OpenSsl(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit(30_000).ShouldBeTrue("openssl did not finish within 30 s");
        process.ExitCode.ShouldBe(0, $"openssl {string.Join(' ', arguments)}: {error}");
        return output.Result;
    }
}

using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Bench.Registry;

/// <summary>
/// The registry scenario: publish and download throughput and latency for 100 KB and 10 MB capsules, through the
/// gateway and directly at the registry, and search latency with a database of many capsules. Server CPU is the
/// gateway's plus the registry's, from /proc, per operation.
/// </summary>
internal static class RegistryBench
{
    public const string Scenario = "registry";

    private static readonly string[] Words = ["weather", "finance", "support", "travel", "legal", "health", "code", "search", "sales", "ops"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.WriteLine(RegistryBenchOptions.Usage);
            return 0;
        }
        RegistryBenchOptions options;
        try
        {
            options = RegistryBenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"bench: {ex.Message}\n\n{RegistryBenchOptions.Usage}");
            return 2;
        }

        var folder = Directory.CreateTempSubdirectory("somaagent-bench-registry-");
        var key = "sk-bench-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var registryPort = ServiceProcess.FreeLoopbackPort();
        var environment = new Dictionary<string, string?>
        {
            ["SOMAAGENT_BOOTSTRAP_KEY"] = key,
            ["SOMAAGENT_INTERNAL_SECRET"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            ["SomaAgent__DataDirectory"] = folder.FullName,
            ["services__registry__http__0"] = $"http://127.0.0.1:{registryPort}",
            // Generous rate limits: the bench measures the registry path, not the limiter.
            ["SomaAgent__RateLimits__KeyRequestsPerMinute"] = "10000000",
            ["SomaAgent__RateLimits__TenantRequestsPerMinute"] = "10000000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        await using var gateway = await ServiceProcess.StartAsync("gateway", ServiceProcess.BuiltDll("SomaAgent.Gateway"), environment, folder, ownsDataDirectory: false, CancellationToken.None);
        await using var registry = await ServiceProcess.StartAsync("registry", ServiceProcess.BuiltDll("SomaAgent.Registry"), environment, folder, ownsDataDirectory: false, CancellationToken.None, registryPort);
        Console.WriteLine($"bench: gateway pid {gateway.Pid} at {gateway.BaseAddress}, registry pid {registry.Pid} at {registry.BaseAddress}, store and artifacts in {folder.FullName}");

        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var viaGateway = BenchHttp.CreateClient(gateway.BaseAddress, options.Clients + 8, key);
        using var direct = BenchHttp.CreateClient(registry.BaseAddress, options.Clients + 8, key);
        var keyId = await RegisterKeyAsync(direct, signer);
        var cpu = () => gateway.Cpu + registry.Cpu;
        var results = new List<PhaseResult>();

        // Warm-up, not counted: every route through both paths often enough for the JIT's tiering to settle.
        var warm = Enumerable.Range(0, 300).Select(i => Package($"warm-{i}", "1.0.0", 100 * 1024, describe: "warm-up")).ToList();
        await ForEachAsync(warm.Count, options.Clients, async i =>
        {
            var client = i % 2 == 0 ? viaGateway : direct;
            await PublishAsync(client, warm[i].Bytes, signer, keyId);
            await DownloadAsync(client, $"/v1/capsules/{warm[i].Name}/1.0.0/package", warm[i].Bytes.Length);
            using var search = await client.GetAsync(new Uri($"/v1/capsules?q=warm&tag=bench&publisher=bench%20labs", UriKind.Relative));
            Ensure(search, HttpStatusCode.OK, "");
        });
        var warmedUp = warm.Count;
        warm.Clear();
        // Let background re-compilation finish before anything is measured.
        await Task.Delay(TimeSpan.FromSeconds(3));

        foreach (var (label, size, count) in new[] { ("100 KB", 100 * 1024, options.Small), ("10 MB", 10 * 1024 * 1024, options.Large) })
        {
            foreach (var (path, client) in new[] { ("gateway", viaGateway), ("direct", direct) })
            {
                var prefix = $"b{Guid.NewGuid().ToString("N")[..8]}";
                var packages = Enumerable.Range(0, count).Select(i => Package($"{prefix}-{i}", "1.0.0", size, describe: $"bench capsule {i}")).ToList();
                results.Add(await MeasureAsync($"publish {label}", path, count, options.Clients, packages[0].Bytes.Length, cpu,
                    i => PublishAsync(client, packages[i].Bytes, signer, keyId)));
                results.Add(await MeasureAsync($"download {label}", path, count, options.Clients, packages[0].Bytes.Length, cpu,
                    i => DownloadAsync(client, $"/v1/capsules/{packages[i].Name}/1.0.0/package", packages[i].Bytes.Length)));
                packages.Clear();
            }
        }

        var existing = warmedUp + results.Sum(r => r.Phase.StartsWith("publish", StringComparison.Ordinal) ? r.Operations : 0);
        var seed = Math.Max(0, options.Capsules - existing);
        var watch = Stopwatch.StartNew();
        await ForEachAsync(seed, 8, async i =>
        {
            var word = Words[i % Words.Length];
            var package = Package($"s-{word}-{i:D6}", "1.0.0", 0, describe: $"A {word} agent number {i}.", tags: [.. new[] { word, Words[(i / 10) % Words.Length] }.Distinct()], publisher: $"Publisher {i % 50}");
            await PublishAsync(direct, package.Bytes, signer, keyId);
        });
        Console.WriteLine($"bench: seeded {seed} more capsules through the registry in {watch.Elapsed.TotalSeconds:0.0} s ({seed / Math.Max(watch.Elapsed.TotalSeconds, 0.001):0} publishes/s); {existing + seed} in the database");

        string[] queries =
        [
            "/v1/capsules", "/v1/capsules?q=weather", "/v1/capsules?q=number%2042", "/v1/capsules?tag=finance", "/v1/capsules?publisher=publisher%207",
            "/v1/capsules?q=legal&tag=ops&limit=50", "/v1/capsules?q=s-code-00", "/v1/capsules?limit=100",
        ];
        foreach (var (path, client) in new[] { ("gateway", viaGateway), ("direct", direct) })
        {
            results.Add(await MeasureAsync($"search ({existing + seed} capsules)", path, options.Searches, 1, 0, cpu,
                async i =>
                {
                    using var response = await client.GetAsync(new Uri(queries[i % queries.Length], UriKind.Relative));
                    Ensure(response, HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
                }));
        }

        Console.WriteLine();
        Console.WriteLine($"{"phase",-26} {"path",-8} {"ops",6} {"ops/s",8} {"MB/s",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"CPU ms/op",10}");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Phase,-26} {r.Path,-8} {r.Operations,6} {r.OpsPerSecond,8:0.0} {r.MegabytesPerSecond,8:0.0} {r.P50Ms,8:0.0} {r.P95Ms,8:0.0} {r.P99Ms,8:0.0} {r.ServerCpuMsPerOp,10:0.00}"));
        }
        Console.WriteLine(JsonSerializer.Serialize(new { scenario = Scenario, date = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), options, results }));
        try
        {
            folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        return 0;
    }

    private static async Task<PhaseResult> MeasureAsync(string phase, string path, int count, int clients, long bytesPerOp, Func<TimeSpan> cpu, Func<int, Task> operation)
    {
        var latencies = new long[count];
        var cpuBefore = cpu();
        var watch = Stopwatch.StartNew();
        await ForEachAsync(count, clients, async i =>
        {
            var started = Stopwatch.GetTimestamp();
            await operation(i);
            latencies[i] = Stopwatch.GetTimestamp() - started;
        });
        var elapsed = watch.Elapsed.TotalSeconds;
        var serverCpu = cpu() - cpuBefore;
        var summary = LatencySummary.Of(latencies);
        var result = new PhaseResult(phase, path, count, Math.Round(count / elapsed, 1), Math.Round(bytesPerOp * count / elapsed / (1024 * 1024), 1),
            summary.P50, summary.P95, summary.P99, Math.Round(serverCpu.TotalMilliseconds / count, 2));
        Console.WriteLine($"bench: {phase} via {path}: {result.OpsPerSecond} ops/s, p95 {result.P95Ms} ms, {result.ServerCpuMsPerOp} ms server CPU per op");
        return result;
    }

    /// <summary>Runs <paramref name="count"/> operations on <paramref name="clients"/> concurrent workers, each taking the next index.</summary>
    private static async Task ForEachAsync(int count, int clients, Func<int, Task> operation)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await operation(i);
            }
        }));
    }

    private static async Task<string> RegisterKeyAsync(HttpClient client, ECDsa signer)
    {
        using var response = await client.PostAsJsonAsync("/v1/signing-keys", new { name = "bench", public_key = signer.ExportSubjectPublicKeyInfoPem() });
        var body = await response.Content.ReadAsStringAsync();
        Ensure(response, HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("key_id").GetString()!;
    }

    private static async Task PublishAsync(HttpClient client, byte[] package, ECDsa signer, string keyId)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(package);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        form.Add(file, "package", "capsule.tar.gz");
        form.Add(new StringContent(Convert.ToBase64String(signer.SignData(package, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))), "signature");
        form.Add(new StringContent(keyId), "key_id");
        form.Add(new StringContent("public"), "visibility");
        using var response = await client.PostAsync(new Uri("/v1/capsules", UriKind.Relative), form);
        Ensure(response, HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task DownloadAsync(HttpClient client, string url, int expected)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Ensure(response, HttpStatusCode.OK, "");
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }
        if (total != expected)
        {
            throw new InvalidOperationException($"{url} gave {total} bytes, not {expected}.");
        }
    }

    private static void Ensure(HttpResponseMessage response, HttpStatusCode expected, string body)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }
    }

    /// <summary>A capsule of about <paramref name="size"/> bytes: a manifest, a readme, and incompressible data.</summary>
    private static (string Name, byte[] Bytes) Package(string name, string version, int size, string describe, string[]? tags = null, string publisher = "Bench Labs")
    {
        var manifest = $"name: {name}\nversion: {version}\ndescription: {describe}\npublisher: {publisher}\ntags: [{string.Join(", ", tags ?? ["bench"])}]\nreadme: README.md\n";
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "capsule.yaml") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest)) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "README.md") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"# {name}\n\n{describe}\n")) });
            if (size > 0)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "data/blob.bin") { DataStream = new MemoryStream(RandomNumberGenerator.GetBytes(size)) });
            }
        }
        return (name, buffer.ToArray());
    }

    private sealed record PhaseResult(string Phase, string Path, int Operations, double OpsPerSecond, double MegabytesPerSecond, double P50Ms, double P95Ms, double P99Ms, double ServerCpuMsPerOp);
}

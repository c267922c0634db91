using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A private standalone Aspire dashboard for one test class or collection: a real OTLP receiver (gRPC and
/// HTTP) whose telemetry HTTP API reads back what it received. Started on free loopback ports with
/// anonymous access, stopped by its PID and its temp dir deleted on dispose.
/// </summary>
/// <remarks>
/// Recipe: shared TEST-SERVERS.md, section 7. The binary is the NuGet package Aspire.Dashboard.Sdk.linux-x64,
/// brought onto the machine by the <c>PackageDownload</c> in SomaAgent.Tests.csproj; the build writes the
/// packages folder into this assembly's metadata. HOME points at the temp dir, so the DataProtection key the
/// dashboard insists on writing lands there and not in the user's home. Telemetry lives in its memory only.
/// </remarks>
public sealed class AspireDashboardServer : IAsyncLifetime
{
    private const string PackageId = "aspire.dashboard.sdk.linux-x64";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly StringBuilder _output = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private DirectoryInfo? _root;
    private Process? _process;
    private Uri? _dashboard;
    private Uri? _otlpHttp;
    private Uri? _otlpGrpc;

    /// <summary>The dashboard UI and its telemetry API, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri DashboardEndpoint => _dashboard ?? throw NotStarted();

    /// <summary>The OTLP/HTTP receiver (use with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>).</summary>
    public Uri OtlpHttpEndpoint => _otlpHttp ?? throw NotStarted();

    /// <summary>The OTLP/gRPC receiver.</summary>
    public Uri OtlpGrpcEndpoint => _otlpGrpc ?? throw NotStarted();

    public async ValueTask InitializeAsync()
    {
        var binary = LocateBinary();
        EnsureExecutable(binary);

        _root = Directory.CreateTempSubdirectory("somaagent-dashboard-");
        var (ui, grpc, http) = FreeLoopbackPorts();
        _dashboard = new Uri($"http://127.0.0.1:{ui}/");
        _otlpGrpc = new Uri($"http://127.0.0.1:{grpc}");
        _otlpHttp = new Uri($"http://127.0.0.1:{http}");

        var startInfo = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root.FullName,
        };
        // Nothing from the test host's telemetry or dashboard settings leaks into the child.
        foreach (var key in startInfo.Environment.Keys.Where(IsInheritedSetting).ToList())
        {
            startInfo.Environment.Remove(key);
        }
        startInfo.Environment["HOME"] = _root.FullName;
        startInfo.Environment["ASPNETCORE_URLS"] = _dashboard.ToString().TrimEnd('/');
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = _otlpGrpc.ToString().TrimEnd('/');
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = _otlpHttp.ToString().TrimEnd('/');
        startInfo.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";

        _process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {binary}.");
        _process.OutputDataReceived += (_, e) => Capture(e.Data);
        _process.ErrorDataReceived += (_, e) => Capture(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitUntilReadyAsync();
    }

    /// <summary>
    /// GETs a telemetry API path relative to the dashboard, e.g. <c>api/telemetry/spans?resource=x</c>, and
    /// returns the parsed body, or <see langword="null"/> on 404 (unknown resource or trace: nothing arrived yet).
    /// </summary>
    public async Task<JsonElement?> GetTelemetryAsync(string relativeUri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(DashboardEndpoint, relativeUri), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        return document.RootElement.Clone();
    }

    /// <summary>Spans the dashboard holds for <paramref name="resource"/> (its <c>service.name</c>), newest last.</summary>
    public async Task<IReadOnlyList<OtlpSpan>> GetSpansAsync(string resource, CancellationToken cancellationToken, string? traceId = null)
    {
        var query = $"api/telemetry/spans?resource={Uri.EscapeDataString(resource)}&limit=10000" +
                    (traceId is null ? "" : $"&traceId={Uri.EscapeDataString(traceId)}");
        var body = await GetTelemetryAsync(query, cancellationToken);
        return body is { } json ? OtlpSpan.Parse(json) : [];
    }

    /// <summary>Structured log records the dashboard holds for <paramref name="resource"/>.</summary>
    public async Task<IReadOnlyList<OtlpLogRecord>> GetLogsAsync(string resource, CancellationToken cancellationToken)
    {
        var body = await GetTelemetryAsync($"api/telemetry/logs?resource={Uri.EscapeDataString(resource)}&limit=10000", cancellationToken);
        return body is { } json ? OtlpLogRecord.Parse(json) : [];
    }

    /// <summary>The resources (services) the dashboard has seen, with which signals each has sent.</summary>
    public async Task<IReadOnlyList<OtlpResource>> GetResourcesAsync(CancellationToken cancellationToken)
    {
        var body = await GetTelemetryAsync("api/telemetry/resources", cancellationToken);
        return body is { } json ? OtlpResource.Parse(json) : [];
    }

    /// <summary>What the dashboard printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_process is not null)
        {
            await StopAsync(_process);
            _process.Dispose();
        }
        try
        {
            _root?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir must not turn a green run red; /tmp is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        // The API answering (not just the UI) is what the tests need; it also proves anonymous access is on.
        var probe = new Uri(DashboardEndpoint, "api/telemetry/resources");
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException(
                    $"The Aspire dashboard exited with {_process.ExitCode} during start-up.\n--- output ---\n{Output}");
            }
            try
            {
                using var response = await _http.GetAsync(probe);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException(
            $"The Aspire dashboard did not answer {probe} within {StartTimeout.TotalSeconds} s ({last}).\n--- output ---\n{Output}");
    }

    /// <summary>SIGTERM by PID (a graceful ASP.NET Core shutdown); SIGKILL if it hangs.</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }
        // .NET can only send SIGKILL; kill(1) sends SIGTERM to exactly this PID.
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private static string LocateBinary()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"The test project downloads only {PackageId}; this machine is {RuntimeInformation.RuntimeIdentifier}.");
        }

        var version = Metadata("AspireDashboardVersion")
            ?? throw new InvalidOperationException("The test assembly lacks the AspireDashboardVersion metadata (see SomaAgent.Tests.csproj).");
        var roots = new[]
        {
            Metadata("NuGetPackageRoot"),
            Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        };
        var candidates = roots
            .Where(root => !string.IsNullOrWhiteSpace(root))
            .Select(root => Path.Combine(root!, PackageId, version, "tools", "Aspire.Dashboard"))
            .Distinct()
            .ToList();
        return candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"The Aspire dashboard binary is missing; looked in:\n  {string.Join("\n  ", candidates)}\n" +
            "It comes from the PackageDownload of Aspire.Dashboard.Sdk.linux-x64 in tests/SomaAgent.Tests/SomaAgent.Tests.csproj: " +
            "run `dotnet restore tests/SomaAgent.Tests` (with the NuGet feed reachable), then run the tests again.");
    }

    private static string? Metadata(string key) =>
        typeof(AspireDashboardServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value ? value : null;

    /// <summary>Packages extracted by some tools lose the execute bit; the notes record mode 744.</summary>
    private static void EnsureExecutable(string binary)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unreachable (LocateBinary is Linux-only); tells the platform analyzer so.
        }
        var mode = File.GetUnixFileMode(binary);
        if (!mode.HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(binary, mode | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static bool IsInheritedSetting(string key) =>
        key.StartsWith("OTEL_", StringComparison.Ordinal)
        || key.StartsWith("ASPIRE_DASHBOARD_", StringComparison.Ordinal)
        || key.StartsWith("DOTNET_DASHBOARD_", StringComparison.Ordinal)
        || key.StartsWith("Dashboard__", StringComparison.Ordinal)
        || key.StartsWith("ASPNETCORE_", StringComparison.Ordinal);

    /// <summary>Three distinct free ports: all listeners are open at once, so none is handed out twice.</summary>
    private static (int Ui, int Grpc, int Http) FreeLoopbackPorts()
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }
            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[0], ports[1], ports[2]);
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static InvalidOperationException NotStarted() => new("The Aspire dashboard has not been started.");
}

/// <summary>One span as the dashboard API returns it (OTLP JSON; ids are lower-case hex).</summary>
public sealed record OtlpSpan(
    string Service, string Scope, string TraceId, string SpanId, string? ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, string> Attributes)
{
    internal static IReadOnlyList<OtlpSpan> Parse(JsonElement body) =>
    [
        .. from resourceSpans in Items(body.GetProperty("data"), "resourceSpans")
           let service = ServiceName(resourceSpans)
           from scopeSpans in Items(resourceSpans, "scopeSpans")
           let scope = scopeSpans.TryGetProperty("scope", out var s) && s.TryGetProperty("name", out var n) ? n.GetString() ?? "" : ""
           from span in Items(scopeSpans, "spans")
           select new OtlpSpan(
               service,
               scope,
               span.GetProperty("traceId").GetString()!,
               span.GetProperty("spanId").GetString()!,
               span.TryGetProperty("parentSpanId", out var parent) && parent.GetString() is { Length: > 0 } p ? p : null,
               span.GetProperty("name").GetString()!,
               span.TryGetProperty("kind", out var kind) ? kind.GetInt32() : 0,
               ReadAttributes(span)),
    ];

    internal static IEnumerable<JsonElement> Items(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    internal static string ServiceName(JsonElement resourceItem) =>
        resourceItem.TryGetProperty("resource", out var resource)
            ? ReadAttributes(resource).GetValueOrDefault("service.name", "")
            : "";

    /// <summary>OTLP key/value attributes flattened to text (any value kind).</summary>
    internal static Dictionary<string, string> ReadAttributes(JsonElement owner)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in Items(owner, "attributes"))
        {
            // {"stringValue": "x"}, {"intValue": "42"}, {"boolValue": true}, … or {} for an empty value.
            var value = attribute.GetProperty("value").EnumerateObject().Select(p => p.Value).FirstOrDefault();
            var text = value.ValueKind switch
            {
                JsonValueKind.Undefined => "",
                JsonValueKind.String => value.GetString() ?? "",
                _ => value.GetRawText(),
            };
            result[attribute.GetProperty("key").GetString()!] = text;
        }
        return result;
    }
}

/// <summary>One structured log record as the dashboard API returns it.</summary>
public sealed record OtlpLogRecord(string Service, string Scope, string Severity, string Body, string? TraceId)
{
    internal static IReadOnlyList<OtlpLogRecord> Parse(JsonElement body) =>
    [
        .. from resourceLogs in OtlpSpan.Items(body.GetProperty("data"), "resourceLogs")
           let service = OtlpSpan.ServiceName(resourceLogs)
           from scopeLogs in OtlpSpan.Items(resourceLogs, "scopeLogs")
           let scope = scopeLogs.TryGetProperty("scope", out var s) && s.TryGetProperty("name", out var n) ? n.GetString() ?? "" : ""
           from record in OtlpSpan.Items(scopeLogs, "logRecords")
           select new OtlpLogRecord(
               service,
               scope,
               record.TryGetProperty("severityText", out var severity) ? severity.GetString() ?? "" : "",
               record.TryGetProperty("body", out var text) && text.TryGetProperty("stringValue", out var str) ? str.GetString() ?? "" : "",
               record.TryGetProperty("traceId", out var trace) && trace.GetString() is { Length: > 0 } t ? t : null),
    ];
}

/// <summary>A service the dashboard has heard from, and which signals it sent.</summary>
public sealed record OtlpResource(string Name, bool HasTraces, bool HasLogs, bool HasMetrics)
{
    internal static IReadOnlyList<OtlpResource> Parse(JsonElement body) =>
    [
        .. from resource in body.EnumerateArray()
           select new OtlpResource(
               resource.GetProperty("name").GetString()!,
               resource.TryGetProperty("hasTraces", out var t) && t.GetBoolean(),
               resource.TryGetProperty("hasLogs", out var l) && l.GetBoolean(),
               resource.TryGetProperty("hasMetrics", out var m) && m.GetBoolean()),
    ];
}

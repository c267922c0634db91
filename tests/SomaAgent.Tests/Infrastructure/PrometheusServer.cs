using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A private Prometheus 2.42 (Debian's package) on a random loopback port: scrapes the given targets every second,
/// evaluates the given rule files every second, keeps its data in a temp dir, and is stopped by its own PID.
/// </summary>
/// <remarks>Recipe: shared TEST-SERVERS.md, section 6. Its first scrape lands about 6 s after start.</remarks>
public sealed class PrometheusServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/prometheus";

    private readonly DirectoryInfo _root;
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;

    private PrometheusServer(DirectoryInfo root, Process process, Uri address)
    {
        _root = root;
        _process = process;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>What Prometheus printed so far, for failure messages.</summary>
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

    /// <param name="targets">Scrape jobs: job name and <c>host:port</c> of a <c>/metrics</c> endpoint.</param>
    /// <param name="ruleFiles">Absolute paths of rule files to evaluate.</param>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<(string Job, string Target)> targets, IEnumerable<string> ruleFiles,
        CancellationToken cancellationToken)
    {
        File.Exists(Binary).ShouldBeTrue("prometheus is missing: run eng/install-test-deps.sh (installs Debian's prometheus package).");
        var root = Directory.CreateTempSubdirectory("somaagent-prometheus-");
        var config = new StringBuilder()
            .AppendLine("global:")
            .AppendLine("  scrape_interval: 1s")
            .AppendLine("  evaluation_interval: 1s")
            .AppendLine("rule_files:");
        foreach (var file in ruleFiles)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"  - '{file}'");
        }
        config.AppendLine("scrape_configs:");
        foreach (var (job, target) in targets)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"  - job_name: '{job}'")
                .AppendLine("    static_configs:")
                .AppendLine(CultureInfo.InvariantCulture, $"      - targets: ['{target}']");
        }
        var configFile = Path.Combine(root.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, config.ToString(), cancellationToken);

        var port = RedisServer.FreeLoopbackPort();
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root.FullName,
        };
        foreach (var argument in new[]
        {
            $"--config.file={configFile}", $"--storage.tsdb.path={Path.Combine(root.FullName, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start prometheus.");
        var server = new PrometheusServer(root, process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitUntilReadyAsync(cancellationToken);
        return server;
    }

    /// <summary>The result vector of an instant query (<c>/api/v1/query</c>).</summary>
    public async Task<JsonElement> QueryAsync(string promql, CancellationToken cancellationToken)
    {
        var answer = await GetDataAsync($"api/v1/query?query={Uri.EscapeDataString(promql)}", cancellationToken);
        return answer.GetProperty("result");
    }

    /// <summary>Asks <paramref name="promql"/> until its result satisfies <paramref name="done"/> (each target is first scraped a few seconds after Prometheus starts); 60 s at most.</summary>
    public async Task<JsonElement> QueryUntilAsync(string promql, Func<JsonElement, bool> done, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await QueryAsync(promql, cancellationToken);
            if (done(result))
            {
                return result;
            }
            (DateTime.UtcNow < deadline).ShouldBeTrue($"{promql} gave {result} for 60 s: {Output}");
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>The alerts pending or firing now (<c>/api/v1/alerts</c>).</summary>
    public async Task<IReadOnlyList<JsonElement>> AlertsAsync(CancellationToken cancellationToken)
    {
        var answer = await GetDataAsync("api/v1/alerts", cancellationToken);
        return [.. answer.GetProperty("alerts").EnumerateArray()];
    }

    /// <summary>The alert named <paramref name="alertName"/> for <paramref name="tool"/>, once Prometheus has it pending or firing (its first scrape is about 6 s after its start); 60 s at most.</summary>
    public async Task<JsonElement> WaitForToolAlertAsync(string alertName, string tool, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var alert = (await AlertsAsync(cancellationToken)).FirstOrDefault(a => Label(a, "alertname") == alertName && Label(a, "tool") == tool);
            if (alert.ValueKind != JsonValueKind.Undefined)
            {
                return alert;
            }
            (DateTime.UtcNow < deadline).ShouldBeTrue($"Prometheus had no {alertName} for {tool} within 60 s: {Output}");
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>A label of a query sample (<c>metric</c>) or of an alert (<c>labels</c>), or null.</summary>
    public static string? Label(JsonElement sample, string name) =>
        sample.GetProperty(sample.TryGetProperty("metric", out _) ? "metric" : "labels").TryGetProperty(name, out var value) ? value.GetString() : null;

    private async Task<JsonElement> GetDataAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        response.IsSuccessStatusCode.ShouldBeTrue($"{path}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").Clone();
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            _process.HasExited.ShouldBeFalse($"prometheus exited: {Output}");
            try
            {
                using var ready = await _http.GetAsync(new Uri("-/ready", UriKind.Relative), cancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            (DateTime.UtcNow < deadline).ShouldBeTrue($"prometheus was not ready within 30 s: {Output}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir must not turn a green run red; /tmp is cleaned by the OS.
        }
    }
}

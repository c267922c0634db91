using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A real OIDC issuer (a Keycloak stand-in): npm's oidc-provider 9 run by <c>oidc/server.js</c> on a random loopback
/// port, with discovery, JWKS and client_credentials access tokens as RS256 JWTs that carry <c>tenant</c> and
/// <c>scope</c>. Installs its node packages on first use when <c>eng/install-test-deps.sh</c> has not, and kills its
/// own node process on dispose.
/// </summary>
/// <remarks>Recipe: shared TEST-SERVERS.md, section 5. Clients are in server.js: <c>acme-service</c> (tenant <c>acme</c>) and <c>no-tenant</c>.</remarks>
public sealed class OidcIssuer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] NodeBinaries = ["/usr/bin/node", "/usr/local/bin/node"];

    /// <summary>The audience the issuer's tokens carry, as the gateway expects it (<c>OIDC_AUDIENCE</c>).</summary>
    public const string Audience = "somaagent";

    /// <summary>The tenant in the tokens of <see cref="TenantClient"/>.</summary>
    public const string Tenant = "acme";

    public const string TenantClient = "acme-service";
    public const string NoTenantClient = "no-tenant";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _issuer;

    /// <summary>The issuer URL (<c>OIDC_AUTHORITY</c>), e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public string Authority => _issuer ?? throw new InvalidOperationException("The OIDC issuer has not been started.");

    /// <summary>The folder of server.js in the source tree (node_modules are installed there).</summary>
    public static string Directory { get; } = typeof(OidcIssuer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "OidcIssuerDirectory").Value!;

    public async ValueTask InitializeAsync()
    {
        var node = NodeBinaries.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("node is missing. Run eng/install-test-deps.sh (installs nodejs and npm, then the issuer's packages).");
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "oidc-provider")))
        {
            await RunNpmCiAsync();
        }

        var port = RedisServer.FreeLoopbackPort();
        var startInfo = new ProcessStartInfo(node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        startInfo.ArgumentList.Add("server.js");
        startInfo.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add(Audience);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {node}.");
        _process.OutputDataReceived += (_, e) =>
        {
            Append(e.Data);
            if (e.Data?.StartsWith("oidc-issuer ready ", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(e.Data["oidc-issuer ready ".Length..].Trim());
            }
        };
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The OIDC issuer exited before it was ready:\n{Output}"));
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            _issuer = await ready.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The OIDC issuer printed no ready line within {StartTimeout}:\n{Output}");
        }
    }

    /// <summary>What node printed so far, for failure messages.</summary>
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

    /// <summary>An access token (JWT) of <paramref name="clientId"/> by the client_credentials grant.</summary>
    public async Task<string> GetTokenAsync(string clientId = TenantClient, string scope = "sessions:read sessions:write models:read",
        CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Authority}/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{clientId}-secret")));
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        response.IsSuccessStatusCode.ShouldBeTrue($"token endpoint: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _http.Dispose();
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

    private static async Task RunNpmCiAsync()
    {
        var startInfo = new ProcessStartInfo("npm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var npm = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start npm; run eng/install-test-deps.sh.");
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {Directory} failed ({npm.ExitCode}):\n{await output}\n{await errors}");
        }
    }
}

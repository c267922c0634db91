using System.CommandLine;
using System.Text.Json;
using SomaAgent.Client;
using SomaAgent.Client.Keys;
using SomaAgent.Client.Sessions;

namespace SomaAgent.Cli;

/// <summary>Exit codes scripts can rely on.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The API refused the request, or the turn failed or was cancelled.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>No gateway and key: run <c>soma login</c> (or set <c>SOMA_URL</c> and <c>SOMA_KEY</c>).</summary>
    public const int NotLoggedIn = 3;
}

/// <summary>
/// The <c>soma</c> commands. Everything it touches comes in through <see cref="CliEnvironment"/> (output, error, the
/// config file, environment, how HTTP is sent), so tests run it in-process against a real gateway.
/// </summary>
internal sealed class SomaCli(CliEnvironment environment)
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON for scripts instead of text." };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var root = new RootCommand("soma: the SomaAgent command line.") { Login(), Keys(), Session(), Capsule() };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await environment.Error.WriteLineAsync($"soma: {error.Message}");
            }
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error }, cancellationToken);
    }

    private Command Login()
    {
        var url = new Option<string>("--url") { Description = "The gateway, e.g. http://localhost:8010.", Required = true };
        var key = new Option<string>("--key") { Description = "An API key (or set SOMA_KEY).", Required = false };
        var command = new Command("login", "Check a gateway URL and key and keep them in the config file (user-only permissions).") { url, key, Json };
        command.SetAction((parse, cancellationToken) => Guarded(async () =>
        {
            var secret = parse.GetValue(key) ?? environment.Variable("SOMA_KEY");
            if (string.IsNullOrWhiteSpace(secret))
            {
                await environment.Error.WriteLineAsync("soma: give --key or set SOMA_KEY.");
                return ExitCodes.Usage;
            }
            var config = new CliConfig(parse.GetValue(url)!.TrimEnd('/') + "/", secret.Trim());
            var me = await environment.Client(config).GetCallerAsync(cancellationToken);
            config.Write(environment.ConfigPath);
            await Print(parse, me, CliJsonContext.Default.CallerIdentity,
                $"Logged in to {config.Url} as {me.Subject} of tenant {me.Tenant} ({string.Join(' ', me.Scopes)}); saved to {environment.ConfigPath}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private Command Keys()
    {
        var list = new Command("list", "List the tenant's API keys.") { Json };
        list.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var keys = await client.Keys.ListAsync(cancellationToken);
            await Print(parse, keys, CliJsonContext.Default.KeyList, string.Join('\n', keys.Data.Select(k =>
                $"{k.Id}  {k.Name,-24} {string.Join(' ', k.Scopes),-40} {(k.RevokedAt is null ? "active" : "revoked")}")));
            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "A name to recognise the key by." };
        var scopes = new Option<string[]>("--scope") { Description = "A scope the key gets (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Create an API key; its secret is shown this once.") { name, scopes, Json };
        create.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var created = await client.Keys.CreateAsync(new CreateKeyRequest(parse.GetValue(name)!, parse.GetValue(scopes)!), cancellationToken);
            await Print(parse, created, CliJsonContext.Default.KeyCreated,
                $"Created key {created.Key.Id} ({string.Join(' ', created.Key.Scopes)}). Its secret, shown this once:\n{created.Secret}");
            return ExitCodes.Ok;
        }));

        var id = new Argument<Guid>("id") { Description = "The key's id." };
        var revoke = new Command("revoke", "Revoke an API key at once.") { id };
        revoke.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            await client.Keys.RevokeAsync(parse.GetValue(id), cancellationToken);
            await environment.Out.WriteLineAsync($"Revoked key {parse.GetValue(id)}.");
            return ExitCodes.Ok;
        }));
        return new Command("keys", "The tenant's API keys.") { list, create, revoke };
    }

    private Command Session()
    {
        var input = new Argument<string>("input") { Description = "What to ask." };
        var capsule = new Option<string?>("--capsule") { Description = "An installed capsule (name or name@version) for the session." };
        var model = new Option<string?>("--model") { Description = "A model id (GET /v1/models)." };
        var run = new Command("run", "Open a session and stream its answer live, tool calls as they happen.") { input, capsule, model, Json };
        run.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var json = parse.GetValue(Json);
            var created = await client.Sessions.CreateAsync(new CreateSessionRequest
            {
                Input = parse.GetValue(input),
                Capsule = parse.GetValue(capsule),
                Model = parse.GetValue(model),
            }, cancellationToken: cancellationToken);
            var status = "";
            string? reason = null;
            await foreach (var item in client.Sessions.StreamEventsAsync(created.Id, cancellationToken: cancellationToken))
            {
                if (json)
                {
                    await environment.Out.WriteLineAsync(JsonSerializer.Serialize(item, CliJsonContext.Default.SessionEvent));
                }
                else
                {
                    await Show(item);
                }
                if (item.Type == SessionEventTypes.Status)
                {
                    status = item.Data.GetProperty("status").GetString() ?? "";
                    reason = item.Data.TryGetProperty("reason", out var why) ? why.GetString() : null;
                }
            }
            if (!json)
            {
                await environment.Out.WriteLineAsync();
                if (status != SessionStatuses.Completed)
                {
                    await environment.Error.WriteLineAsync($"soma: the turn ended {status}{(reason is null ? "" : $": {reason}")} (session {created.Id}).");
                }
            }
            return status == SessionStatuses.Completed ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return new Command("session", "Agent sessions.") { run };
    }

    private Command Capsule()
    {
        var folder = new Option<string>("--out") { Description = "The folder to write to. Default: the current one.", DefaultValueFactory = _ => "." };
        var keygen = new Command("keygen", "Make an ECDSA P-256 key pair: capsule.key (user-only) and capsule.pub.") { folder };
        keygen.SetAction(parse => Guarded(async () =>
        {
            var (privateKey, publicKey) = CapsuleFiles.GenerateKeyPair(parse.GetValue(folder)!);
            await environment.Out.WriteLineAsync($"Wrote {privateKey} (keep it secret) and {publicKey} (register it: soma capsule publish does, or POST /v1/signing-keys). Key id {CapsuleFiles.KeyIdOf(privateKey)}.");
            return ExitCodes.Ok;
        }));

        var capsuleName = new Argument<string>("folder") { Description = "The new folder; its name is the capsule's (lowercase a-z, 0-9 and -)." };
        var init = new Command("init", "Start a capsule: a folder with capsule.yaml and README.md that lint clean.") { capsuleName };
        init.SetAction(parse => Guarded(async () =>
        {
            var folder = CapsuleFiles.Init(parse.GetValue(capsuleName)!);
            await environment.Out.WriteLineAsync($"Created {folder}: edit capsule.yaml, then soma capsule lint {folder}.");
            return ExitCodes.Ok;
        }));

        var source = new Argument<string>("folder") { Description = "The capsule's folder (with capsule.yaml).", DefaultValueFactory = _ => "." };
        var lint = new Command("lint", "Check capsule.yaml against the Registry's schema; every problem with its field and line.") { source, Json };
        lint.SetAction(parse => Guarded(async () =>
        {
            var problems = CapsuleFiles.Lint(parse.GetValue(source)!);
            if (parse.GetValue(Json))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(problems.Select(p => new LintOutput(p.Path, p.Line, p.Message)).ToList(), CliJsonContext.Default.ListLintOutput));
            }
            else
            {
                foreach (var problem in problems)
                {
                    await environment.Out.WriteLineAsync($"line {problem.Line?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",-4} {(problem.Path.Length == 0 ? "capsule.yaml" : problem.Path),-24} {problem.Message}");
                }
                await environment.Out.WriteLineAsync(problems.Count == 0 ? "capsule.yaml is valid." : $"{problems.Count} problem(s).");
            }
            return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        var output = new Option<string?>("--output", "-o") { Description = "The package to write. Default: <folder>/<name>.tar.gz." };
        var pack = new Command("pack", "Pack a capsule folder as .tar.gz (regular files, sorted, hidden ones left out).") { source, output };
        pack.SetAction(parse => Guarded(async () =>
        {
            if (CapsuleFiles.Lint(parse.GetValue(source)!) is { Count: > 0 } problems)
            {
                await environment.Error.WriteLineAsync($"soma: capsule.yaml has {problems.Count} problem(s); run soma capsule lint.");
                return ExitCodes.Failed;
            }
            var package = CapsuleFiles.Pack(parse.GetValue(source)!);
            var path = parse.GetValue(output) ?? Path.Combine(parse.GetValue(source)!, Path.GetFileName(Path.GetFullPath(parse.GetValue(source)!)) + ".tar.gz");
            await File.WriteAllBytesAsync(path, package);
            await environment.Out.WriteLineAsync($"Wrote {path} ({package.Length} bytes).");
            return ExitCodes.Ok;
        }));

        var file = new Argument<string>("package") { Description = "The .tar.gz package." };
        var key = new Option<string>("--key") { Description = "The private key (from soma capsule keygen).", DefaultValueFactory = _ => "capsule.key" };
        var sign = new Command("sign", "Sign a package; writes <package>.sig (base64 DER, as cosign sign-blob does) and prints it.") { file, key };
        sign.SetAction(parse => Guarded(async () =>
        {
            var signature = CapsuleFiles.Sign(await File.ReadAllBytesAsync(parse.GetValue(file)!), parse.GetValue(key)!);
            await File.WriteAllTextAsync(parse.GetValue(file) + ".sig", signature + "\n");
            await environment.Out.WriteLineAsync(signature);
            return ExitCodes.Ok;
        }));

        var isPrivate = new Option<bool>("--private") { Description = "Only this tenant finds and installs it." };
        var publish = new Command("publish", "Sign a package, register its key if new, and publish it.") { file, key, isPrivate, Json };
        publish.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var package = await File.ReadAllBytesAsync(parse.GetValue(file)!, cancellationToken);
            var privateKey = parse.GetValue(key)!;
            var keyId = CapsuleFiles.KeyIdOf(privateKey);
            var known = await client.SigningKeys.ListAsync(limit: 100, cancellationToken: cancellationToken);
            if (!known.Data.Any(k => k.KeyId == keyId))
            {
                await client.SigningKeys.RegisterAsync(Path.GetFileNameWithoutExtension(privateKey), CapsuleFiles.PublicPemOf(privateKey), cancellationToken);
            }
            var published = await client.Capsules.PublishAsync(new Client.Capsules.PublishCapsuleRequest(
                package, CapsuleFiles.Sign(package, privateKey), keyId, Public: !parse.GetValue(isPrivate)), cancellationToken);
            await environment.Out.WriteLineAsync(parse.GetValue(Json)
                ? $"{{\"name\":\"{published.Name}\",\"version\":\"{published.Version}\",\"digest\":\"{published.Digest}\",\"signature_status\":\"{published.SignatureStatus}\"}}"
                : $"Published {published.Name} {published.Version} ({published.Visibility}, {published.Digest}, signature {published.SignatureStatus}).");
            return ExitCodes.Ok;
        }));

        var reference = new Argument<string>("capsule") { Description = "name or name@version." };
        var install = new Command("install", "Install a capsule version for the tenant.") { reference };
        install.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var installed = await client.Installations.InstallAsync(parse.GetValue(reference)!, cancellationToken: cancellationToken);
            await environment.Out.WriteLineAsync($"Installed {installed.Capsule} {installed.Version} ({installed.Status}), installation {installed.Id}.");
            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "The capsule's name." };
        var version = new Argument<string>("version") { Description = "The version to yank." };
        var reason = new Option<string>("--reason") { Description = "Why; shown to every reader of the version.", Required = true };
        var yank = new Command("yank", "Yank a version: no new installs; existing ones keep working, flagged.") { name, version, reason };
        yank.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            await client.Capsules.YankAsync(parse.GetValue(name)!, parse.GetValue(version)!, parse.GetValue(reason)!, cancellationToken);
            await environment.Out.WriteLineAsync($"Yanked {parse.GetValue(name)} {parse.GetValue(version)}.");
            return ExitCodes.Ok;
        }));
        return new Command("capsule", "Capsules: keys, packages, signatures, publishing, installing.") { init, lint, keygen, pack, sign, publish, install, yank };
    }

    /// <summary>Text as it streams; tool calls and their results on lines of their own.</summary>
    private async Task Show(SessionEvent item)
    {
        switch (item.Type)
        {
            case SessionEventTypes.MessageDelta:
                await environment.Out.WriteAsync(item.Delta);
                break;
            case SessionEventTypes.ToolCall:
                await environment.Out.WriteLineAsync($"[tool] {item.Data.GetProperty("name").GetString()} {item.Data.GetProperty("arguments").GetRawText()}");
                break;
            case SessionEventTypes.ToolResult:
                await environment.Out.WriteLineAsync($"[tool] {item.Data.GetProperty("name").GetString()} -> {item.Data.GetProperty("result").GetRawText()}");
                break;
            case SessionEventTypes.CapsuleAttached:
                await environment.Out.WriteLineAsync($"[capsule] {item.Data.GetProperty("name").GetString()}@{item.Data.GetProperty("version").GetString()}");
                break;
        }
    }

    private async Task Print<T>(ParseResult parse, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string text) =>
        await environment.Out.WriteLineAsync(parse.GetValue(Json) ? JsonSerializer.Serialize(value, type) : text);

    /// <summary>Runs <paramref name="action"/> with a client of the saved (or <c>SOMA_URL</c>/<c>SOMA_KEY</c>) gateway.</summary>
    private Task<int> WithClient(Func<SomaAgentClient, Task<int>> action) => Guarded(async () =>
    {
        var config = environment.Config();
        if (config is null)
        {
            await environment.Error.WriteLineAsync("soma: not logged in; run `soma login --url <gateway> --key <key>` (or set SOMA_URL and SOMA_KEY).");
            return ExitCodes.NotLoggedIn;
        }
        return await action(environment.Client(config));
    });

    /// <summary>An API problem or an unreachable gateway is a message and exit code 1, never a stack trace.</summary>
    private async Task<int> Guarded(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (SomaAgentProblemException problem)
        {
            await environment.Error.WriteLineAsync($"soma: {(int)problem.Status} {problem.Title}: {problem.Detail} ({problem.Type}; trace {problem.TraceId})");
            return ExitCodes.Failed;
        }
        catch (HttpRequestException ex)
        {
            await environment.Error.WriteLineAsync($"soma: the gateway could not be reached: {ex.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            await environment.Error.WriteLineAsync($"soma: {ex.Message}");
            return ExitCodes.Failed;
        }
    }
}

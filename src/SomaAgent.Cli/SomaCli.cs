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
internal sealed partial class SomaCli(CliEnvironment environment)
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON for scripts instead of text." };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        // Named soma (a RootCommand takes the entry assembly's name, SomaAgent.Cli), so help and errors say what users type.
        var root = new Command("soma", "The SomaAgent command line.") { Login(), Keys(), Session(), Capsule() };
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption());
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
            var turn = await TurnReader.ReadAsync(client, created.Id, json
                ? item => environment.Out.WriteLineAsync(JsonSerializer.Serialize(item, CliJsonContext.Default.SessionEvent))
                : Show, cancellationToken);
            if (!json)
            {
                await environment.Out.WriteLineAsync();
                if (!turn.Completed)
                {
                    await environment.Error.WriteLineAsync($"soma: the turn ended {turn.Status}{(turn.Reason is null ? "" : $": {turn.Reason}")} (session {created.Id}).");
                }
            }
            return turn.Completed ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return new Command("session", "Agent sessions.") { run };
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

using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace SomaAgent.Cli;

/// <summary><c>soma capsule</c>: keys, packages, signatures, tests, publishing, installing.</summary>
internal sealed partial class SomaCli
{
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
        var testModel = new Option<string?>("--model") { Description = "A model id (GET /v1/models). Default: the deployment's." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds each test's turn may take.", DefaultValueFactory = _ => 60 };
        var installed = new Option<bool>("--installed") { Description = "Test the installed version named by capsule.yaml (after publish and install) instead of the folder's draft." };
        var test = new Command("test", "Run capsule.yaml's tests against the gateway: each prompt in a new session with the folder's capsule (as a draft, before publishing); checks each answer.") { source, testModel, timeout, installed, Json };
        test.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var (yaml, checkedManifest) = CapsuleFiles.Load(parse.GetValue(source)!);
            if (checkedManifest.Manifest is not { } manifest)
            {
                await environment.Error.WriteLineAsync($"soma: capsule.yaml has {checkedManifest.Problems.Count} problem(s); run soma capsule lint.");
                return ExitCodes.Failed;
            }
            if (manifest.Tests is not { Count: > 0 } tests)
            {
                await environment.Error.WriteLineAsync("soma: capsule.yaml declares no tests; add `tests:` with a prompt and what its answer must show (see soma capsule init).");
                return ExitCodes.Failed;
            }
            var reference = $"{manifest.Name}@{manifest.Version}";
            var testing = new CapsuleTesting(client, yaml, parse.GetValue(installed) ? reference : null, parse.GetValue(testModel),
                TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))));
            var outcomes = new List<CapsuleTestOutcome>();
            await environment.Progress.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new SpinnerColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Markup.Escape(reference), maxValue: tests.Count);
                    foreach (var declared in tests)
                    {
                        task.Description = Markup.Escape($"{reference}: {(declared.Title.Length > 60 ? declared.Title[..57] + "..." : declared.Title)}");
                        outcomes.Add(await testing.RunAsync(declared, cancellationToken));
                        task.Increment(1);
                    }
                });
            var passed = outcomes.Count(o => o.Passed);
            var report = new CapsuleTestReport(reference, passed, outcomes.Count - passed, outcomes);
            if (parse.GetValue(Json))
            {
                await environment.Out.WriteLineAsync(JsonSerializer.Serialize(report, CliJsonContext.Default.CapsuleTestReport));
            }
            else
            {
                foreach (var outcome in outcomes)
                {
                    await environment.Out.WriteLineAsync($"{(outcome.Passed ? "PASS" : "FAIL")}  {outcome.Name}");
                    foreach (var failure in outcome.Failures)
                    {
                        await environment.Out.WriteLineAsync($"      {failure} (session {outcome.SessionId?.ToString() ?? "none"})");
                    }
                }
                await environment.Out.WriteLineAsync($"{report.Passed} passed, {report.Failed} failed ({report.Capsule}).");
            }
            return report.Failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }));

        var output = new Option<string?>("--output", "-o") { Description = "The package to write. Default: <folder>/<name>.tar.gz." };
        var pack = new Command("pack", "Pack a capsule folder as .tar.gz (regular files, sorted, hidden ones left out).") { source, output, Json };
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
            var packed = new PackOutput(path, package.Length, "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(package)));
            await Print(parse, packed, CliJsonContext.Default.PackOutput, $"Wrote {path} ({package.Length} bytes, {packed.Digest}).");
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
            var published = await environment.Progress.Status().StartAsync("Checking the signing key", async status =>
            {
                if (await client.SigningKeys.FindAsync(keyId, cancellationToken) is null)
                {
                    status.Status("Registering the signing key");
                    await client.SigningKeys.RegisterAsync(Path.GetFileNameWithoutExtension(privateKey), CapsuleFiles.PublicPemOf(privateKey), cancellationToken);
                }
                status.Status($"Signing and uploading {package.Length / 1024.0:0.#} KiB");
                return await client.Capsules.PublishAsync(new Client.Capsules.PublishCapsuleRequest(
                    package, CapsuleFiles.Sign(package, privateKey), keyId, Public: !parse.GetValue(isPrivate)), cancellationToken);
            });
            await Print(parse, published, CliJsonContext.Default.CapsuleVersion,
                $"Published {published.Name} {published.Version} ({published.Visibility}, {published.Digest}, signature {published.SignatureStatus}).");
            return ExitCodes.Ok;
        }));

        var query = new Argument<string?>("query") { Description = "Words in the name or description.", Arity = ArgumentArity.ZeroOrOne };
        var tag = new Option<string?>("--tag") { Description = "Only capsules with this tag." };
        var publisher = new Option<string?>("--publisher") { Description = "Only capsules of this publisher." };
        var limit = new Option<int>("--limit") { Description = "At most this many (1 to 100).", DefaultValueFactory = _ => 20 };
        var search = new Command("search", "Find capsules in the marketplace: public ones and the tenant's own.") { query, tag, publisher, limit, Json };
        search.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var found = await client.Capsules.SearchAsync(parse.GetValue(query), parse.GetValue(tag), parse.GetValue(publisher), parse.GetValue(limit), cancellationToken: cancellationToken);
            await Print(parse, found, CliJsonContext.Default.PageCapsuleSummary, found.Data.Count == 0 ? "No capsule matches." : string.Join('\n', found.Data.Select(c =>
                $"{c.Name,-28} {c.LatestVersion ?? "-",-12} {c.Publisher,-20} {(c.Tags.Count == 0 ? "" : $"[{string.Join(", ", c.Tags)}] ")}{c.Description}")));
            return ExitCodes.Ok;
        }));

        var reference = new Argument<string>("capsule") { Description = "name or name@version." };
        var install = new Command("install", "Install a capsule version for the tenant.") { reference, Json };
        install.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var installed = await client.Installations.InstallAsync(parse.GetValue(reference)!, cancellationToken: cancellationToken);
            await Print(parse, installed, CliJsonContext.Default.InstallationInfo,
                $"Installed {installed.Capsule} {installed.Version} ({installed.Status}), installation {installed.Id}.");
            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "The capsule's name." };
        var version = new Argument<string>("version") { Description = "The version to yank." };
        var reason = new Option<string>("--reason") { Description = "Why; shown to every reader of the version.", Required = true };
        var yank = new Command("yank", "Yank a version: no new installs; existing ones keep working, flagged.") { name, version, reason, Json };
        yank.SetAction((parse, cancellationToken) => WithClient(async client =>
        {
            var yanked = await client.Capsules.YankAsync(parse.GetValue(name)!, parse.GetValue(version)!, parse.GetValue(reason)!, cancellationToken);
            await Print(parse, yanked, CliJsonContext.Default.CapsuleVersion, $"Yanked {yanked.Name} {yanked.Version}: {yanked.YankReason}.");
            return ExitCodes.Ok;
        }));
        return new Command("capsule", "Capsules: write, lint, pack, test, sign, publish, search, install, yank.") { init, lint, pack, test, keygen, sign, publish, search, install, yank };
    }
}

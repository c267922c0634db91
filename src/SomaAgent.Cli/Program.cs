using SomaAgent.Cli;

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};
return await new SomaCli(CliEnvironment.FromProcess()).RunAsync(args, interrupted.Token);

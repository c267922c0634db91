using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Runtime;

/// <summary>
/// Runs a loop a service cannot work without (a bus consumer, the store writer). If it ends with an error while
/// the host is not stopping, it logs Critical and stops the host, so an orchestrator restarts the process
/// instead of leaving a zombie that looks alive but no longer consumes or writes.
/// </summary>
public static partial class BackgroundLoop
{
    public static async Task RunAsync(string name, Func<Task> loop, IHostApplicationLifetime? lifetime, ILogger logger, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(loop);
        try
        {
            await loop();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogLoopDied(logger, name, ex);
            lifetime?.StopApplication();
            throw;
        }
    }

    [LoggerMessage(EventId = 1900, Level = LogLevel.Critical, Message = "The {Loop} stopped with an error; stopping the service so that it is restarted")]
    private static partial void LogLoopDied(ILogger logger, string loop, Exception exception);
}

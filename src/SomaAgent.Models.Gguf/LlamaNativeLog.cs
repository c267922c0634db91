using System.Text;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Models.Gguf;

/// <summary>
/// Routes llama.cpp's log into <see cref="ILogger"/>; without it llama.cpp writes ~100 lines per model load to
/// stderr. llama.cpp has exactly one log hook per process, so this is process-wide by necessity: the hook is
/// installed once and forwards to the logger of the most recent host that attached (tests run several hosts in
/// one process). llama.cpp's information lines are load and context details, so they go out at Debug.
/// </summary>
internal static partial class LlamaNativeLog
{
    private static ILogger? s_logger;
    private static int s_installed;

    [ThreadStatic]
    private static StringBuilder? t_line;

    [ThreadStatic]
    private static LogLevel t_level;

    public static void Attach(ILogger logger)
    {
        Volatile.Write(ref s_logger, logger);
        if (Interlocked.Exchange(ref s_installed, 1) == 0)
        {
            NativeLogConfig.llama_log_set(Forward);
        }
    }

    /// <summary>llama.cpp sends a line in pieces (Continue) and ends it with a newline; one log entry per line.</summary>
    private static void Forward(LLamaLogLevel level, string message)
    {
        var line = t_line ??= new StringBuilder();
        if (level != LLamaLogLevel.Continue)
        {
            t_level = level switch
            {
                LLamaLogLevel.Error => LogLevel.Error,
                LLamaLogLevel.Warning => LogLevel.Warning,
                LLamaLogLevel.Info => LogLevel.Debug,
                _ => LogLevel.Trace,
            };
        }
        line.Append(message);
        if (!message.EndsWith('\n'))
        {
            return;
        }
        var text = line.ToString().TrimEnd();
        line.Clear();
        if (text.Length == 0 || Volatile.Read(ref s_logger) is not { } logger || !logger.IsEnabled(t_level))
        {
            return;
        }
        try
        {
            LogNative(logger, t_level, text);
        }
        catch (ObjectDisposedException)
        {
            // The host that attached has shut down; an exception must not cross back into native code.
        }
    }

    [LoggerMessage(EventId = 2303, Message = "llama.cpp: {Message}")]
    private static partial void LogNative(ILogger logger, LogLevel level, string message);
}

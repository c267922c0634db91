using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Messaging.Kafka;

public sealed partial class KafkaEventBus
{
    /// <summary>
    /// librdkafka's own log lines, sent to this bus's logger instead of straight to stderr (the client's
    /// default), so they carry an event id, honour the log filters and reach OTLP with everything else.
    /// </summary>
    private void OnClientLog(LogMessage message)
    {
        var level = LevelOf(message.Level);
        LogClient(level, message.Name, message.Facility, message.Message);
    }

    /// <summary>The first error a client of this bus could not recover from, if any; the health check reports it.</summary>
    public string? FatalError { get; private set; }

    /// <summary>Errors a client cannot recover from; the transient ones were logged by <see cref="OnClientLog"/> already.</summary>
    private void OnClientError(Error error)
    {
        if (error.IsFatal)
        {
            FatalError ??= $"{error.Code}: {error.Reason}";
            LogClientFatal(error.Code, error.Reason);
        }
    }

    /// <summary>
    /// A librdkafka "error" is one it reconnects or retries from by itself (a broker down, a request timed out),
    /// so it is a warning here; what it cannot get over arrives through <see cref="OnClientError"/>.
    /// </summary>
    private static LogLevel LevelOf(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error or SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(EventId = 1708, Message = "librdkafka {Client} {Facility}: {Text}")]
    private partial void LogClient(LogLevel level, string client, string facility, string text);

    [LoggerMessage(EventId = 1709, Level = LogLevel.Critical, Message = "Kafka client failed for good ({Code}): {Reason}")]
    private partial void LogClientFatal(ErrorCode code, string reason);
}

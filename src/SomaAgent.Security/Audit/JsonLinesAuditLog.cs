using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Security.Audit;

/// <summary>
/// Appends each entry as one JSON line to the configured file, emits it as a structured log and counts refusals
/// (<see cref="AuditMetrics"/>). Entries go
/// through a bounded queue to one writer, so a burst of refused requests never makes them wait on the disk
/// one by one, and a full queue slows callers down rather than dropping entries. The file is opened for
/// append only: nothing already written is ever rewritten, and a restart continues it.
/// </summary>
public sealed partial class JsonLinesAuditLog(
    IOptions<AuditOptions> options, IConfiguration configuration, IHostEnvironment environment, ILogger<JsonLinesAuditLog> logger,
    IHostApplicationLifetime? lifetime = null)
    : BackgroundService, IAuditLog
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private FileStream? _file;
    private readonly Channel<AuditEntry> _queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(10_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>The file entries are appended to.</summary>
    public string FilePath { get; } = options.Value.Path is { Length: > 0 } path
        ? Path.GetFullPath(path, environment.ContentRootPath)
        : Path.Combine(DataHome.Resolve(configuration, environment.ContentRootPath), "audit", environment.ApplicationName + ".jsonl");

    public async ValueTask WriteAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        LogEntry(logger, entry.Decision == AuditDecisions.Allow ? LogLevel.Information : LogLevel.Warning,
            entry.Event, entry.Decision, entry.Tenant, entry.Subject, entry.Method, entry.Route, entry.Reason, entry.TraceId, entry.ClientAddress);
        AuditMetrics.Count(entry);
        try
        {
            await _queue.Writer.WriteAsync(entry, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // A request finishing after the host stopped: the structured log above still has it.
        }
    }

    /// <summary>Opens the file before the service takes requests: an audit log that cannot be written stops the start, naming the path.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _file = Open();
        return base.StartAsync(cancellationToken);
    }

    // A writer that cannot write stops the service: refusals must not go unaudited while it looks healthy.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        BackgroundLoop.RunAsync("audit log writer", WriteAllAsync, lifetime, logger, CancellationToken.None);

    private async Task WriteAllAsync()
    {
        var file = _file!;
        try
        {
            // Drain to the end even while stopping: the reader completes once the writer side is closed.
            await foreach (var entry in _queue.Reader.ReadAllAsync(CancellationToken.None))
            {
                await file.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(entry, Json), CancellationToken.None);
                await file.WriteAsync(NewLine, CancellationToken.None);
                if (!_queue.Reader.TryPeek(out _))
                {
                    await file.FlushAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            await file.DisposeAsync();
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    private FileStream Open()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            return new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"The audit log '{FilePath}' cannot be opened for appending ({ex.Message}); fix its permissions or set AUDIT_LOG_PATH / SomaAgent:Audit:Path.", ex);
        }
    }

    [LoggerMessage(EventId = 5900,
        Message = "Audit {AuditEvent} {Decision}: tenant {Tenant}, subject {Subject}, {Method} {Route}: {Reason} (trace {TraceId}, client {ClientAddress})")]
    private static partial void LogEntry(ILogger logger, LogLevel level, string auditEvent, string decision, string? tenant, string? subject, string? method, string? route, string reason, string? traceId, string? clientAddress);
}

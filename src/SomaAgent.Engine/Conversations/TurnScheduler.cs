using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// Owns the turns this worker runs: starts them off the bus thread, cancels one on request, and on
/// shutdown cancels them all and waits, so each ends with a stored status instead of vanishing.
/// </summary>
public sealed partial class TurnScheduler(
    ConversationTurnRunner runner,
    IOptions<ConversationOptions> options,
    ILogger<TurnScheduler> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<Guid, RunningTurn> _running = new();
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentTurns);
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <summary>Starts the turn unless this worker already runs one for the session.</summary>
    public bool TryStart(Guid sessionId, int turn)
    {
        if (Volatile.Read(ref _disposed) == 1 || _stopping.IsCancellationRequested)
        {
            // Shutting down: the turn stays queued; another worker's sweep (or this one's next start) dispatches it again.
            return false;
        }
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var running = new RunningTurn(turn, cancel);
        if (!_running.TryAdd(sessionId, running))
        {
            cancel.Dispose();
            return false;
        }
        running.Completion = Task.Run(() => RunAsync(sessionId, running));
        return true;
    }

    /// <summary>Cancels the session's running turn, if it is this worker's and the named turn.</summary>
    public bool TryCancel(Guid sessionId, int turn)
    {
        if (_running.TryGetValue(sessionId, out var running) && running.Turn == turn)
        {
            running.Cancel.Cancel();
            return true;
        }
        return false;
    }

    public int RunningCount => _running.Count;

    /// <summary>This worker is shutting down and starts no more turns.</summary>
    public bool IsStopping => Volatile.Read(ref _disposed) == 1 || _stopping.IsCancellationRequested;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host may dispose its services before a late StopAsync (a failed start); nothing runs then.
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }
        await _stopping.CancelAsync();
        var all = _running.Values.Select(r => r.Completion).OfType<Task>().ToArray();
        await Task.WhenAll(all).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stopping.Cancel();
        _stopping.Dispose();
        _slots.Dispose();
    }

    private async Task RunAsync(Guid sessionId, RunningTurn running)
    {
        try
        {
            await _slots.WaitAsync(_stopping.Token);
            try
            {
                await runner.RunAsync(sessionId, running.Turn, running.Cancel.Token, _stopping.Token);
            }
            finally
            {
                _slots.Release();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Never started before shutdown: it stays queued and is dispatched again at the next start.
        }
        catch (LeaseLostException)
        {
            // Another worker took the turn over while this one was ending it: the successor's writes stand.
            LogTurnTakenOver(sessionId, running.Turn);
        }
        catch (Exception ex)
        {
            LogTurnCrashed(sessionId, running.Turn, ex);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<Guid, RunningTurn>(sessionId, running));
            running.Cancel.Dispose();
        }
    }

    private sealed class RunningTurn(int turn, CancellationTokenSource cancel)
    {
        public int Turn { get; } = turn;
        public CancellationTokenSource Cancel { get; } = cancel;
        public Task? Completion { get; set; }
    }

    [LoggerMessage(EventId = 1421, Level = LogLevel.Warning, Message = "Turn {Turn} of session {SessionId} was taken over by another worker before this one could end it")]
    private partial void LogTurnTakenOver(Guid sessionId, int turn);

    [LoggerMessage(EventId = 1420, Level = LogLevel.Error, Message = "Turn {Turn} of session {SessionId} crashed")]
    private partial void LogTurnCrashed(Guid sessionId, int turn, Exception exception);
}

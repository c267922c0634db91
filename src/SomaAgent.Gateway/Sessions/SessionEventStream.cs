using System.Runtime.CompilerServices;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security;
using SomaAgent.Security.Identity;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// One SSE stream of a session: the stored events after the client's position, then live ones, each exactly
/// once and in order, until the latest turn ends, or, when it follows the session, until the client leaves. It
/// subscribes before reading the store, so nothing stored in between is missed; any gap in the live feed is filled
/// from the store.
/// </summary>
public sealed class SessionEventStream(
    SessionQueries queries, SessionEventHub hub, StartedTurnEvents startedTurns, Microsoft.Extensions.Options.IOptions<Configuration.GatewayOptions> options)
{
    private const int ReplayPage = 500;

    /// <summary>
    /// A stream that follows a session between turns re-reads the store on every this many quiet spells (each
    /// <see cref="Configuration.GatewayOptions.StreamIdleSeconds"/>): a quiet spell there is the norm, and ten
    /// thousand idle streams must not each cost a read every few seconds. A gap in the live feed is filled at once.
    /// </summary>
    private const int FollowingRecheckEvery = 24;

    /// <summary>
    /// Opens the stream of a session the caller may see, or null: subscribes to the live feed, then starts from the
    /// turn's events as this gateway saw them stored when it saw the turn start (<see cref="StartedTurnEvents"/>), else
    /// from the store: the state and the first page of stored events in one statement (one snapshot).
    /// </summary>
    /// <param name="follow">Keep the stream open after the turn ends, across the session's next turns.</param>
    public async Task<IAsyncEnumerable<SessionEventEnvelope?>?> OpenAsync(Caller caller, Guid sessionId, long after, bool follow, CancellationToken cancellationToken)
    {
        var subscription = hub.Subscribe(sessionId);
        try
        {
            if (startedTurns.TryTake(sessionId, caller.TenantId, after, out var seen))
            {
                return ReadAsync(subscription, caller, sessionId, after, new StreamState(seen.Turn, seen.Ended), seen.Events, follow, cancellationToken);
            }
            if (await queries.GetStreamStartAsync(caller, sessionId, after, ReplayPage, cancellationToken) is { } start)
            {
                return ReadAsync(subscription, caller, sessionId, after, StreamState.Of(start.Status, start.Turn),
                    [.. start.Events.Select(SessionEventBuilder.ToEnvelope)], follow, cancellationToken);
            }
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
        subscription.Dispose();
        return null;
    }

    /// <summary>
    /// The events to send, in order; a null is a quiet spell the writer answers with a keep-alive comment.
    /// <paramref name="state"/> is the session's status and latest turn as the caller just read them.
    /// </summary>
    public async IAsyncEnumerable<SessionEventEnvelope?> ReadAsync(
        Caller caller, Guid sessionId, long after, (string Status, int Turn) state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Subscribed when enumerated, so a stream that is never read holds nothing.
        await foreach (var envelope in ReadAsync(hub.Subscribe(sessionId), caller, sessionId, after, StreamState.Of(state.Status, state.Turn), firstPage: null, follow: false, cancellationToken))
        {
            yield return envelope;
        }
    }

    /// <summary>
    /// Reads from the store, then live. <paramref name="firstPage"/>, when read already, is the first page after
    /// <paramref name="after"/> (at most <see cref="ReplayPage"/> events), read after subscribing and with
    /// <paramref name="state"/> in one snapshot.
    /// </summary>
    private async IAsyncEnumerable<SessionEventEnvelope?> ReadAsync(SessionEventHub.Subscription subscription,
        Caller caller, Guid sessionId, long after, StreamState state, List<SessionEventEnvelope>? firstPage, bool follow,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var _ = subscription;
        // Following, the stream never ends on a turn's end: it reads every turn, and waits between them.
        var turn = follow ? int.MaxValue : state.Turn;
        StreamState? known = state;
        var last = after;
        var fromStore = new List<SessionEventEnvelope>();
        var readStore = true;
        var betweenTurns = state.Ended;
        var quietSpells = 0;

        while (true)
        {
            if (readStore)
            {
                // Read the state first (the caller's read serves the first pass): if the turn had ended by then,
                // its last event is already stored, so a replay that does not reach it means the client has it
                // (a Last-Event-ID at or past the end).
                if (!follow)
                {
                    known ??= await queries.GetStateAsync(caller, sessionId, cancellationToken) is { } read ? StreamState.Of(read.Status, read.Turn) : null;
                }
                var endedBefore = !follow && (known is not { } current || (current.Turn == turn && current.Ended));
                known = null;
                fromStore.Clear();
                var passedTurn = await ReplayAsync(caller, sessionId, last, turn, firstPage, fromStore, cancellationToken);
                firstPage = null;
                foreach (var stored in fromStore)
                {
                    last = stored.Sequence;
                    betweenTurns = stored.EndsTurn;
                    yield return stored;
                }
                if (passedTurn || endedBefore)
                {
                    yield break;
                }
            }

            // Wait for live events; on a quiet spell keep the connection alive and re-check the store in case a
            // live feed was lost.
            readStore = !await WaitForLiveAsync(subscription, cancellationToken);
            if (readStore)
            {
                yield return null;
                readStore = !follow || !betweenTurns || ++quietSpells % FollowingRecheckEvery == 0;
                if (!readStore)
                {
                    continue;
                }
            }
            while (!readStore && subscription.Reader.TryRead(out var live))
            {
                if (live.Sequence <= last)
                {
                    // Sent from the store already; if it ended the turn, so does the stream.
                    if (live.EndsTurn && live.Turn >= turn)
                    {
                        yield break;
                    }
                    continue;
                }
                if (live.Sequence != last + 1)
                {
                    readStore = true;
                    break;
                }
                last = live.Sequence;
                betweenTurns = live.EndsTurn;
                yield return live;
                if (live.EndsTurn && live.Turn >= turn)
                {
                    yield break;
                }
            }
        }
    }

    private async Task<bool> WaitForLiveAsync(SessionEventHub.Subscription subscription, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(TimeSpan.FromSeconds(options.Value.StreamIdleSeconds));
        try
        {
            return await subscription.Reader.WaitToReadAsync(idle.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the stored events of turns up to <paramref name="turn"/> after <paramref name="after"/>; true when they
    /// reach the end of <paramref name="turn"/> (its ending event, or an event of a later turn).
    /// </summary>
    private async Task<bool> ReplayAsync(Caller caller, Guid sessionId, long after, int turn, List<SessionEventEnvelope>? firstPage,
        List<SessionEventEnvelope> into, CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = firstPage ?? [.. (await queries.GetEventsAsync(caller, sessionId, after, ReplayPage, cancellationToken)).Select(SessionEventBuilder.ToEnvelope)];
            firstPage = null;
            foreach (var envelope in page)
            {
                if (envelope.Turn > turn)
                {
                    return true;
                }
                into.Add(envelope);
                after = envelope.Sequence;
                if (envelope.EndsTurn && envelope.Turn == turn)
                {
                    return true;
                }
            }
            if (page.Count < ReplayPage)
            {
                return false;
            }
        }
    }

    /// <summary>The session's latest turn and whether it had ended, as a stream starts from it.</summary>
    private readonly record struct StreamState(int Turn, bool Ended)
    {
        public static StreamState Of(string status, int turn) => new(turn, SessionStatus.IsEnded(status));
    }
}

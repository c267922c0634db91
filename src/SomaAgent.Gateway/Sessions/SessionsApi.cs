using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SomaAgent.Engine.Conversations;
using SomaAgent.Gateway.Capsules;
using SomaAgent.Gateway.Problems;
using SomaAgent.Gateway.Security;
using SomaAgent.Gateway.Tenancy.RateLimiting;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Security;
using SomaAgent.Security.Access;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Sessions;

/// <summary>The session API: open a session, add turns, cancel, read and stream its events.</summary>
public static class SessionsApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;
    public const int MaxIdempotencyKeyLength = 255;

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Sessions");

        api.MapPost("/sessions", CreateSession)
            .WithName("CreateSession")
            .RequireAuthorization(ApiKeyScopes.SessionsWrite)
            .RequireSessionSlot()
            .WithSummary("Open an agent session")
            .WithDescription("Stores the opening messages and queues the first turn. Send `Idempotency-Key` to make retries safe: the same key and body return the same session for 24 hours.")
            .Accepts<CreateSessionRequest>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/sessions", ListSessions)
            .WithName("ListSessions")
            .RequireAuthorization(ApiKeyScopes.SessionsRead)
            .WithSummary("List sessions, newest first")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/sessions/{id}", GetSession)
            .WithName("GetSession")
            .RequiresAccess(ResourceTypes.Session, Problem.SessionNotFound)
            .RequireAuthorization(ApiKeyScopes.SessionsRead)
            .WithSummary("Get a session with its transcript and events")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/sessions/{id}/messages", PostMessage)
            .WithName("PostMessage")
            .RequiresAccess(ResourceTypes.Session, Problem.SessionNotFound)
            .RequireAuthorization(ApiKeyScopes.SessionsWrite)
            .RequireSessionSlot()
            .WithSummary("Add a user message, starting the next turn")
            .WithDescription("Starts the next turn when the latest one has ended. While a turn runs this answers 409, unless `strategy=enqueue` (the message waits and becomes the next turn when the running one ends; `queue_position` says where it waits) or `strategy=interrupt` (the same, and the running turn is cancelled).")
            .Accepts<PostMessageRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapPost("/sessions/{id}/cancel", CancelTurn)
            .WithName("CancelTurn")
            .RequiresAccess(ResourceTypes.Session, Problem.SessionNotFound)
            .RequireAuthorization(ApiKeyScopes.SessionsWrite)
            .WithSummary("Cancel the running turn")
            .WithDescription("The turn ends `cancelled` and keeps its partial output. Cancelling a turn that has ended answers 409.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/sessions/{id}/capsules", AttachCapsule)
            .WithName("AttachCapsule")
            .RequiresAccess(ResourceTypes.Session, Problem.SessionNotFound)
            .RequireAuthorization(ApiKeyScopes.SessionsWrite)
            .WithSummary("Take an installed capsule on from the next turn")
            .WithDescription("Between turns: the capsule's built-in tools become the session's, its system prompt joins the transcript, its limits bound the next turns, and a `capsule.attached` event says so. A yanked version, or one whose signature no longer verifies, is refused with the reason; while a turn runs, 409.")
            .Accepts<AttachCapsuleRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        api.MapGet("/sessions/{id}/events", StreamEvents)
            .WithName("StreamSessionEvents")
            .RequiresAccess(ResourceTypes.Session, Problem.SessionNotFound)
            .RequireAuthorization(ApiKeyScopes.SessionsRead)
            .WithSummary("Stream the session's events (Server-Sent Events)")
            .WithDescription("Each SSE message has `id:` = the event's sequence and `event:` = its type. Reconnect with `Last-Event-ID` (or `?after=`) to get exactly the events after it, then live ones. The stream ends when the latest turn ends, unless `follow=true` keeps it open for the next turns.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<SessionCreated>, ProblemHttpResult>> CreateSession(
        CreateSessionRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        SessionRequestValidator validator,
        SessionCapsules capsules,
        SessionTurns turns,
        SessionSlot slot,
        StartedTurnEvents startedTurns,
        CallerAccessor caller,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && !IsValidIdempotencyKey(idempotencyKey))
        {
            return Problem.Validation("Idempotency-Key", $"The Idempotency-Key header must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters.");
        }
        var (session, errors) = validator.Validate(request);
        if (session is { CapsuleDraft: not null } && !caller.Holds(ApiKeyScopes.CapsulesPublish))
        {
            return Problem.Of(ProblemCatalog.InsufficientScope,
                $"capsule_draft tries a capsule before it is published, which needs the '{ApiKeyScopes.CapsulesPublish}' scope; this key lacks it.");
        }
        if (session is { } opening && (opening.CapsuleReference is not null || opening.CapsuleDraft is not null))
        {
            var (taken, refusal) = opening.CapsuleDraft is { } draft
                ? capsules.Draft(draft)
                : await capsules.ResolveAsync(caller.Current, opening.CapsuleReference!, cancellationToken);
            if (refusal is not null)
            {
                return refusal.ToProblem(opening.CapsuleDraft is null ? "capsule" : "capsule_draft");
            }
            (session, errors) = SessionRequestValidator.TakeOn(opening, taken!);
        }
        if (session is null)
        {
            return Problem.Validation(errors);
        }

        var outcome = await turns.CreateAsync(slot.SessionId, session.ToOpening(caller.Current), idempotencyKey, cancellationToken);
        switch (outcome)
        {
            case CreateOutcome.Created created:
                slot.TurnStarted = true;
                // Kept before the answer, so the stream the client opens next starts here rather than in the store.
                startedTurns.Record(created.FirstEvents);
                return TypedResults.Created($"/v1/sessions/{created.Session.Id}", ToCreated(created.Session));
            case CreateOutcome.Replayed replayed:
                http.Response.Headers["Idempotent-Replayed"] = "true";
                return TypedResults.Created($"/v1/sessions/{replayed.Session.Id}", ToCreated(replayed.Session));
            default:
                return Problem.Of(ProblemCatalog.IdempotencyKeyReused,
                    "This Idempotency-Key was already used with a different request body; use a new key for a new request.");
        }
    }

    public static async Task<Results<Ok<SessionPage>, ProblemHttpResult>> ListSessions(
        [Description("Page size, 1 to 100. Default 20.")] int? limit,
        [Description("The `next_cursor` of the previous page.")] string? cursor,
        SessionQueries queries,
        CallerAccessor caller,
        CancellationToken cancellationToken)
    {
        var size = limit ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize)
        {
            return Problem.Validation("limit", $"limit must be between 1 and {MaxPageSize}, got {size}.");
        }
        SessionCursor? position = null;
        if (cursor is not null)
        {
            if (!SessionCursor.TryDecode(cursor, out var decoded))
            {
                return Problem.Validation("cursor", "cursor is not one this API issued; pass the next_cursor of the previous page unchanged.");
            }
            position = decoded;
        }
        return TypedResults.Ok(await queries.ListAsync(caller.Current, size, position, cancellationToken));
    }

    public static async Task<Results<Ok<SessionDetail>, ProblemHttpResult>> GetSession(
        [Description("The session id (a UUID).")] string id,
        [Description("Return only events with a sequence greater than this. Default 0 (all).")] long? after,
        SessionQueries queries,
        CallerAccessor caller,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var sessionId))
        {
            return Problem.MalformedSessionId(id);
        }
        if (after is < 0)
        {
            return Problem.Validation("after", $"after must be 0 or a positive event sequence, got {after}.");
        }
        var session = await queries.GetAsync(caller.Current, sessionId, after ?? 0, cancellationToken);
        return session is null ? Problem.SessionNotFound(sessionId) : TypedResults.Ok(session);
    }

    public static async Task<Results<Accepted<TurnAccepted>, ProblemHttpResult>> PostMessage(
        [Description("The session id (a UUID).")] string id,
        PostMessageRequest request,
        SessionRequestValidator validator,
        SessionTurns turns,
        SessionQueries queries,
        SessionCapsules capsules,
        SessionSlot slot,
        StartedTurnEvents startedTurns,
        CallerAccessor caller,
        CancellationToken cancellationToken,
        [Description("While a turn runs: `reject` (default) answers 409; `enqueue` keeps the message until the running turn ends; `interrupt` keeps it and cancels the running turn.")] string? strategy = null)
    {
        if (!Guid.TryParse(id, out var sessionId))
        {
            return Problem.MalformedSessionId(id);
        }
        if (!TryParseStrategy(strategy, out var turnStrategy))
        {
            return Problem.Validation("strategy", $"strategy must be reject, enqueue or interrupt, got '{Problem.Truncate(strategy!)}'.");
        }
        var (messages, errors) = validator.Validate(request);
        if (errors.Count > 0)
        {
            return Problem.Validation(errors);
        }
        // A capsule version yanked (or no longer verified) since the session took it on: the session goes on, flagged.
        if (await queries.GetCapsuleAsync(caller.Current, sessionId, cancellationToken) is { Flagged: null, Draft: false } capsule
            && await capsules.StandingAsync(caller.Current, capsule, cancellationToken) is { } standing)
        {
            // Between turns only; while a turn runs, the next message after it flags the session instead.
            await turns.FlagCapsuleAsync(sessionId, caller.Current.TenantId, standing, cancellationToken);
        }
        var location = $"/v1/sessions/{sessionId}";
        var next = await turns.PostAsync(sessionId, caller.Current.TenantId, caller.Current.Subject, [.. messages.Select(m => m.ToInput())], turnStrategy, cancellationToken);
        // No such session gives back the slot taken for it; a busy session keeps the slot its running turn holds.
        slot.TurnStarted = next is NextTurn.Started or NextTurn.Queued or NextTurn.Busy;
        if (next is NextTurn.Started { FirstEvents: var firstEvents })
        {
            // Kept before the answer, so the stream the client opens next starts here rather than in the store.
            startedTurns.Record(firstEvents);
        }
        return next switch
        {
            NextTurn.Started started => TypedResults.Accepted(location, new TurnAccepted(sessionId, SessionStatus.Queued, started.Turn)),
            NextTurn.Queued queued => TypedResults.Accepted(location, new TurnAccepted(sessionId, SessionStatus.Queued, queued.RunningTurn + queued.Position, queued.Position)),
            NextTurn.LimitReached limit => Problem.Of(ProblemCatalog.TurnLimitReached,
                $"The capsule {limit.Capsule} allows {limit.MaxTurns} turns, and this session has had them. Open a new session to go on."),
            NextTurn.Busy busy => Problem.Of(ProblemCatalog.TurnInProgress,
                $"Turn {busy.Turn} is {busy.Status}; post the next message when it has ended, cancel it first, or post with ?strategy=enqueue or ?strategy=interrupt."),
            _ => Problem.SessionNotFound(sessionId),
        };
    }

    private static bool TryParseStrategy(string? value, out TurnStrategy strategy)
    {
        strategy = value switch
        {
            null or "reject" => TurnStrategy.Reject,
            "enqueue" => TurnStrategy.Enqueue,
            "interrupt" => TurnStrategy.Interrupt,
            _ => (TurnStrategy)(-1),
        };
        return Enum.IsDefined(strategy);
    }

    public static async Task<Results<Accepted<TurnAccepted>, ProblemHttpResult>> CancelTurn(
        [Description("The session id (a UUID).")] string id,
        SessionTurns turns,
        CallerAccessor caller,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var sessionId))
        {
            return Problem.MalformedSessionId(id);
        }
        return await turns.RequestCancelAsync(sessionId, caller.Current.TenantId, cancellationToken) switch
        {
            TurnOutcome.Accepted accepted => TypedResults.Accepted($"/v1/sessions/{sessionId}", new TurnAccepted(sessionId, accepted.Status, accepted.Turn)),
            TurnOutcome.Conflict conflict => Problem.Of(ProblemCatalog.TurnNotRunning,
                $"Turn {conflict.Turn} has already ended ({conflict.Status}); there is nothing to cancel."),
            _ => Problem.SessionNotFound(sessionId),
        };
    }

    public static async Task<Results<Ok<SessionCapsule>, ProblemHttpResult>> AttachCapsule(
        [Description("The session id (a UUID).")] string id,
        AttachCapsuleRequest request,
        SessionCapsules capsules,
        SessionTurns turns,
        CallerAccessor caller,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Guid.TryParse(id, out var sessionId))
        {
            return Problem.MalformedSessionId(id);
        }
        if (!SessionRequestValidator.IsCapsuleReference(request.Capsule))
        {
            return Problem.Validation("capsule", $"'{Problem.Truncate(request.Capsule ?? "null")}' is not a capsule reference; give a capsule name (lowercase a-z, 0-9, -) or name@version.");
        }
        var (taken, refusal) = await capsules.ResolveAsync(caller.Current, request.Capsule!, cancellationToken);
        if (refusal is not null)
        {
            return refusal.ToProblem();
        }
        return await turns.AttachCapsuleAsync(sessionId, caller.Current.TenantId, taken!.Capsule, taken.SystemPrompt, cancellationToken) switch
        {
            AttachOutcome.Attached attached => TypedResults.Ok(attached.Capsule),
            AttachOutcome.Conflict conflict => Problem.Of(ProblemCatalog.TurnInProgress,
                $"Turn {conflict.Turn} is {conflict.Status}; a capsule is taken on between turns. Wait for the turn to end (or cancel it) and attach again."),
            _ => Problem.SessionNotFound(sessionId),
        };
    }

    public static async Task<Results<SessionEventStreamResult, ProblemHttpResult>> StreamEvents(
        [Description("The session id (a UUID).")] string id,
        [FromHeader(Name = "Last-Event-ID"), Description("The sequence of the last event the client has; the stream resumes after it.")] string? lastEventId,
        [Description("Alternative to Last-Event-ID for clients that cannot set headers.")] long? after,
        [Description("`true` keeps the stream open after the turn ends: it carries the session's next turns too, with keep-alive comments in between, until the client closes it.")] bool? follow,
        SessionEventStream stream,
        CallerAccessor caller,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var sessionId))
        {
            return Problem.MalformedSessionId(id);
        }
        long position = after ?? 0;
        if (after is < 0)
        {
            return Problem.Validation("after", $"after must be 0 or a positive event sequence, got {after}.");
        }
        if (lastEventId is not null && (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out position) || position < 0))
        {
            return Problem.Validation("Last-Event-ID", $"Last-Event-ID must be an event sequence (a whole number of 0 or more), got '{Problem.Truncate(lastEventId)}'.");
        }
        var events = await stream.OpenAsync(caller.Current, sessionId, position, follow ?? false, cancellationToken);
        if (events is null)
        {
            return Problem.SessionNotFound(sessionId);
        }
        return new SessionEventStreamResult(events);
    }

    private static SessionCreated ToCreated(Runtime.Storage.SessionRecord session) =>
        new(session.Id, session.Status, session.Model, session.CreatedAt);

    private static bool IsValidIdempotencyKey(string key) =>
        key.Length is > 0 and <= MaxIdempotencyKeyLength && key.All(c => c is > ' ' and <= '~');
}

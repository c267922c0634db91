using System.Reflection;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// The concurrent-sessions slot a request that may start a turn runs in. A handler takes it as a parameter and
/// says whether it started a turn; <see cref="SessionQuotaFilter"/> takes the slot before the handler runs and
/// gives it back when no turn started. The session is the route's <c>{id}</c>, or a new id for a new session.
/// </summary>
public sealed class SessionSlot
{
    private SessionSlot(Guid sessionId) => SessionId = sessionId;

    /// <summary>The session the slot is for; <see cref="Guid.Empty"/> when the route's id is not a session id (no slot is taken).</summary>
    public Guid SessionId { get; }

    /// <summary>Set by the handler when the request started or queued a turn of <see cref="SessionId"/>: the slot stays taken.</summary>
    public bool TurnStarted { get; set; }

    public static ValueTask<SessionSlot?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.GetRouteValue("id") switch
        {
            null => Guid.CreateVersion7(),
            var value => Guid.TryParse(value.ToString(), out var existing) ? existing : Guid.Empty,
        };
        return ValueTask.FromResult<SessionSlot?>(new SessionSlot(id));
    }
}

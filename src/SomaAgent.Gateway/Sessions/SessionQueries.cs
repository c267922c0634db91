using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security;
using SomaAgent.Security.Identity;

namespace SomaAgent.Gateway.Sessions;

/// <summary>Reads of sessions, always scoped to the caller's tenant inside the query itself.</summary>
public sealed class SessionQueries(IDbContextFactory<SessionDbContext> dbFactory)
{
    public async Task<SessionDetail?> GetAsync(Caller caller, Guid id, long after, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.TenantId == caller.TenantId, cancellationToken);
        if (session is null)
        {
            return null;
        }
        var messages = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == id && m.TenantId == caller.TenantId)
            .OrderBy(m => m.Ordinal)
            .ToListAsync(cancellationToken);
        var events = await ReadEventsAsync(db, caller.TenantId, id, after, int.MaxValue, cancellationToken);
        return new SessionDetail(
            session.Id,
            session.Status,
            session.StatusReason,
            session.Model,
            session.Turn,
            session.Output,
            JsonSerializer.Deserialize(session.ToolsJson, SessionJsonContext.Wire.ListString) ?? [],
            MetadataOf(session),
            session.CreatedAt,
            session.UpdatedAt,
            [.. messages.Select(ToTranscript)],
            [.. events.Select(ToDto)],
            SessionCapsule.Of(session));
    }

    /// <summary>The capsule the session took on, or null (also when the caller cannot see the session).</summary>
    public async Task<SessionCapsule?> GetCapsuleAsync(Caller caller, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var json = await db.Sessions.AsNoTracking().Where(s => s.Id == id && s.TenantId == caller.TenantId).Select(s => s.CapsuleJson).SingleOrDefaultAsync(cancellationToken);
        return json is null ? null : JsonSerializer.Deserialize(json, SessionJsonContext.Wire.SessionCapsule);
    }

    /// <summary>The session's status and latest turn, or null when the caller cannot see it.</summary>
    public async Task<(string Status, int Turn)?> GetStateAsync(Caller caller, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var state = await db.Sessions.AsNoTracking()
            .Where(s => s.Id == id && s.TenantId == caller.TenantId)
            .Select(s => new { s.Status, s.Turn })
            .SingleOrDefaultAsync(cancellationToken);
        return state is null ? null : (state.Status, state.Turn);
    }

    /// <summary>
    /// What a stream starts from, in one statement (one snapshot): the session's status and latest turn, and its
    /// first <paramref name="limit"/> stored events after <paramref name="after"/>; null when the caller cannot see it.
    /// </summary>
    public async Task<StreamStart?> GetStreamStartAsync(Caller caller, Guid id, long after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        StreamStart? start = null;
        await foreach (var row in _streamStartQuery(db, id, caller.TenantId, after, limit).WithCancellation(cancellationToken))
        {
            start ??= new StreamStart(row.Status, row.Turn, []);
            if (row.Event is { } stored)
            {
                start.Events.Add(stored);
            }
        }
        start?.Events.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return start;
    }

    // One row per event, the session's columns on each (one row with no event when none is stored after the position):
    // the page is not correlated with the session row, so this is a LEFT JOIN … ON TRUE, which SQLite runs too. Compiled:
    // the stream opens once per run, and looking a LINQ query up in EF's cache costs more than running it. One per
    // instance (a singleton), not static: hosts side by side in one process (SQLite and PostgreSQL in the tests) share nothing.
    private readonly Func<SessionDbContext, Guid, string, long, int, IAsyncEnumerable<StreamStartRow>> _streamStartQuery = EF.CompileAsyncQuery(
        (SessionDbContext db, Guid id, string tenantId, long after, int limit) =>
            from s in db.Sessions.AsNoTracking().Where(s => s.Id == id && s.TenantId == tenantId)
            from e in db.Events.Where(e => e.SessionId == id && e.TenantId == tenantId && e.Sequence > after).OrderBy(e => e.Sequence).Take(limit).DefaultIfEmpty()
            select new StreamStartRow(s.Status, s.Turn, e));

    private sealed record StreamStartRow(string Status, int Turn, SessionEventRecord? Event);

    public async Task<List<SessionEventRecord>> GetEventsAsync(Caller caller, Guid id, long after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ReadEventsAsync(db, caller.TenantId, id, after, limit, cancellationToken);
    }

    public async Task<SessionPage> ListAsync(Caller caller, int limit, SessionCursor? cursor, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Sessions.AsNoTracking().Where(s => s.TenantId == caller.TenantId);
        if (cursor is { } c)
        {
            query = query.Where(s => s.CreatedAt < c.CreatedAt || (s.CreatedAt == c.CreatedAt && s.Id.CompareTo(c.Id) < 0));
        }
        var page = await query
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
            .Take(limit + 1)
            .ToListAsync(cancellationToken);
        var next = page.Count > limit ? new SessionCursor(page[limit - 1].CreatedAt, page[limit - 1].Id).Encode() : null;
        return new SessionPage(
            [.. page.Take(limit).Select(s => new SessionSummary(s.Id, s.Status, s.Model, s.Turn, s.CreatedAt, s.UpdatedAt, MetadataOf(s)))],
            next);
    }

    public static SessionEventDto ToDto(SessionEventRecord record) =>
        new(record.Sequence, record.Type, record.CreatedAt, record.Turn, ParseData(record.DataJson));

    internal static JsonElement ParseData(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static Task<List<SessionEventRecord>> ReadEventsAsync(SessionDbContext db, string tenantId, Guid id, long after, int limit, CancellationToken cancellationToken) =>
        db.Events.AsNoTracking()
            .Where(e => e.SessionId == id && e.TenantId == tenantId && e.Sequence > after)
            .OrderBy(e => e.Sequence)
            .Take(limit)
            .ToListAsync(cancellationToken);

    private static Dictionary<string, string> MetadataOf(SessionRecord session) =>
        JsonSerializer.Deserialize(session.MetadataJson, SessionJsonContext.Wire.DictionaryStringString) ?? [];

    private static TranscriptMessage ToTranscript(MessageRecord message) => new(
        message.Role,
        message.Content,
        message.Turn,
        message.CreatedAt,
        message.ToolCallsJson is null
            ? null
            : [.. (JsonSerializer.Deserialize(message.ToolCallsJson, SessionJsonContext.Wire.ListStoredToolCall) ?? []).Select(c => new TranscriptToolCall(c.Id, c.Name, c.Arguments))],
        message.ToolCallId,
        message.ToolName);
}

/// <summary>Where a page of sessions ends: opaque to clients (base64url of timestamp and id).</summary>
public readonly record struct SessionCursor(DateTime CreatedAt, Guid Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture)}:{Id:N}"));

    public static bool TryDecode(string value, out SessionCursor cursor)
    {
        cursor = default;
        if (value.Length is 0 or > 128)
        {
            return false;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split(':');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks is >= 0 and <= 3155378975999999999
                && Guid.TryParseExact(parts[1], "N", out var id))
            {
                cursor = new SessionCursor(new DateTime(ticks, DateTimeKind.Utc), id);
                return true;
            }
        }
        catch (FormatException)
        {
        }
        return false;
    }
}

/// <summary>A session's status and latest turn, and the first page of its stored events after a stream's position.</summary>
public sealed record StreamStart(string Status, int Turn, List<SessionEventRecord> Events);

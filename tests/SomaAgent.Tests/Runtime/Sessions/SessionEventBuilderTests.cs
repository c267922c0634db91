using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Tests.Runtime.Sessions;

/// <summary>The writer of a session's events decides once which event starts and which ends a turn; the bus envelopes carry it.</summary>
public sealed class SessionEventBuilderTests
{
    private static readonly DateTime Now = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_queued_status_starts_the_turn_and_an_ended_status_ends_it()
    {
        var events = new SessionEventBuilder(NewSession());
        events.Status(SessionStatus.Queued, Now);
        events.Status(SessionStatus.Running, Now);
        events.Status(SessionStatus.Completed, Now);

        var (_, announcement) = events.Drain();

        announcement.Events.Select(e => (e.StartsTurn, e.EndsTurn)).ShouldBe([(true, false), (false, false), (false, true)]);
    }

    [Theory]
    [InlineData(SessionStatus.Completed)]
    [InlineData(SessionStatus.Failed)]
    [InlineData(SessionStatus.Cancelled)]
    public void A_stored_event_reads_back_as_the_envelope_the_bus_carried(string ended)
    {
        var events = new SessionEventBuilder(NewSession());
        events.Status(SessionStatus.Queued, Now);
        events.Add(SessionEventTypes.MessageDelta, new DeltaEventData("hi"), SessionJsonContext.Wire.DeltaEventData, Now);
        events.Status(ended, Now, reason: "because");

        var (records, announcement) = events.Drain();

        records.Select(SessionEventBuilder.ToEnvelope).ShouldBe(announcement.Events);
    }

    [Fact]
    public void The_announcement_names_the_sessions_tenant()
    {
        var events = new SessionEventBuilder(NewSession());
        events.Status(SessionStatus.Queued, Now);

        events.Drain().Announcement.TenantId.ShouldBe("acme");
    }

    private static SessionRecord NewSession() => new()
    {
        Id = Guid.CreateVersion7(),
        TenantId = "acme",
        CreatedBy = "key-1",
        Model = "soma-simulated-1",
        ToolsJson = "[]",
        MetadataJson = "{}",
        Status = SessionStatus.Queued,
        Turn = 1,
    };
}

using System.Text.Json;
using SomaAgent.Gateway.Catalog;
using SomaAgent.Gateway.Sessions;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// Example bodies as instances of the real contracts, so they are serialized exactly like responses and follow
/// every rename. They tell one story: a session asks the calculator for (12 + 30) * 2 and answers 84.
/// </summary>
internal static class OpenApiExamples
{
    public static readonly Guid SessionId = Guid.Parse("0193a8a0-7c1e-7d3b-9f00-123456789abc");
    private static readonly Guid OlderSessionId = Guid.Parse("0193a89f-2b10-7a55-8c21-9d7e4f0a1b2c");
    public const string Model = "soma-simulated-1";
    public const string Question = "What is (12 + 30) * 2?";
    public const string Answer = "(12 + 30) * 2 = 84.";
    private const string CallId = "call_f1db19f9043e4ff59a1b681a";

    private static readonly DateTime Created = new(2026, 1, 15, 9, 30, 0, DateTimeKind.Utc);
    private static readonly IReadOnlyDictionary<string, string> Metadata = new Dictionary<string, string> { ["user"] = "u-42" };
    private static readonly IReadOnlyList<string> AllTools = ["calculator", "clock", "memory"];

    /// <summary>Named request examples by body type.</summary>
    public static IReadOnlyList<(string Name, string Summary, object Value)> Requests(Type type)
    {
        if (type == typeof(CreateSessionRequest))
        {
            return
            [
                ("input", "Open with one user message", new CreateSessionRequest { Input = Question }),
                ("messages", "Open with a transcript, a model, tools and metadata", new CreateSessionRequest
                {
                    Messages =
                    [
                        new MessageInput("system", "You are a concise assistant. Use the calculator for arithmetic."),
                        new MessageInput("user", Question),
                    ],
                    Model = Model,
                    Tools = ["calculator"],
                    Metadata = Metadata,
                }),
            ];
        }
        if (type == typeof(PostMessageRequest))
        {
            return
            [
                ("input", "The next user message", new PostMessageRequest { Input = "And divided by 4?" }),
                ("messages", "Several messages; the last is the user's", new PostMessageRequest
                {
                    Messages = [new MessageInput("system", "Answer in one sentence."), new MessageInput("user", "And divided by 4?")],
                }),
            ];
        }
        return [];
    }

    /// <summary>The example of a success body, by its type; null when there is none.</summary>
    public static object? Response(Type type) => type switch
    {
        _ when type == typeof(SessionCreated) => new SessionCreated(SessionId, "queued", Model, Created),
        _ when type == typeof(TurnAccepted) => new TurnAccepted(SessionId, "queued", 2),
        _ when type == typeof(SessionDetail) => Detail(),
        _ when type == typeof(SessionPage) => new SessionPage(
            [
                new SessionSummary(SessionId, "completed", Model, 1, Created, At(1.3), Metadata),
                new SessionSummary(OlderSessionId, "running", Model, 3, Created.AddMinutes(-12), Created.AddMinutes(-11), new Dictionary<string, string>()),
            ],
            new SessionCursor(Created.AddMinutes(-12), OlderSessionId).Encode()),
        _ when type == typeof(ModelList) => new ModelList("list",
            [
                new ModelEntry(Model, "model", 0, "somaagent", "builtin", Simulated: true, Default: true,
                    "Built-in deterministic model (simulated, not a language model): it calls tools and answers by documented rules."),
            ]),
        _ when type == typeof(ToolList) => new ToolList("list",
            [
                new ToolEntry("calculator", "Evaluates an arithmetic expression exactly and returns the number.", "builtin", 10, Json("""
                    {"type":"object","properties":{"expression":{"description":"The arithmetic expression, for example \"(12 + 30) * 2\".","type":"string"}},"required":["expression"]}
                    """)),
                new ToolEntry("clock", "Returns the current date and time in UTC and, when a time zone is given, in that zone.", "builtin", 10, Json("""
                    {"type":"object","properties":{"timezone":{"description":"Optional time zone id, for example \"Europe/Paris\". Omit for UTC only.","type":["string","null"],"default":null}}}
                    """)),
            ]),
        _ when type == typeof(HealthReportDto) => new HealthReportDto("healthy", new Dictionary<string, HealthEntryDto>
        {
            ["self"] = new("healthy", null),
            ["session-store"] = new("healthy", "Microsoft.EntityFrameworkCore.Sqlite answers."),
        }),
        _ => null,
    };

    /// <summary>An unhealthy report, as <c>GET /v1/health</c> sends it with 503.</summary>
    public static HealthReportDto Unhealthy() => new("unhealthy", new Dictionary<string, HealthEntryDto>
    {
        ["self"] = new("healthy", null),
        ["session-store"] = new("unhealthy", "Npgsql.EntityFrameworkCore.PostgreSQL does not answer."),
    });

    /// <summary>The events of the example session, as the REST API and the SSE stream show them.</summary>
    public static IReadOnlyList<SessionEventDto> Events() =>
    [
        Event(1, "message.created", 0, $$"""{"role":"user","content":"{{Question}}","turn":1}"""),
        Event(2, "status", 0, """{"status":"queued","turn":1,"reason":null}"""),
        Event(3, "status", 0.4, """{"status":"running","turn":1,"reason":null}"""),
        Event(4, "tool.call", 0.9, $$$"""{"call_id":"{{{CallId}}}","name":"calculator","arguments":{"expression":"(12 + 30) * 2"}}"""),
        Event(5, "status", 0.9, """{"status":"waiting_tool","turn":1,"reason":null}"""),
        Event(6, "tool.result", 1.1, $$$"""{"call_id":"{{{CallId}}}","name":"calculator","result":{"expression":"(12 + 30) * 2","result":84},"is_error":false}"""),
        Event(7, "status", 1.1, """{"status":"running","turn":1,"reason":null}"""),
        Event(8, "message.delta", 1.2, """{"content":"(12 + 30) * 2 "}"""),
        Event(9, "message.delta", 1.3, """{"content":"= 84."}"""),
        Event(10, "message.completed", 1.3, $$"""{"role":"assistant","content":"{{Answer}}","turn":1}"""),
        Event(11, "status", 1.3, """{"status":"completed","turn":1,"reason":null}"""),
    ];

    private static SessionDetail Detail() => new(
        SessionId, "completed", StatusReason: null, Model, Turn: 1, Answer, AllTools, Metadata, Created, At(1.3),
        [
            new TranscriptMessage("user", Question, 1, Created, null, null, null),
            new TranscriptMessage("assistant", "", 1, At(0.9), [new TranscriptToolCall(CallId, "calculator", Json("""{"expression":"(12 + 30) * 2"}"""))], null, null),
            new TranscriptMessage("tool", """{"expression":"(12 + 30) * 2","result":84}""", 1, At(1.1), null, CallId, "calculator"),
            new TranscriptMessage("assistant", Answer, 1, At(1.3), null, null, null),
        ],
        Events(),
        Capsule: null);

    private static SessionEventDto Event(long sequence, string type, double seconds, string data) =>
        new(sequence, type, At(seconds), 1, Json(data));

    private static DateTime At(double seconds) => Created.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    private static JsonElement Json(string json) => JsonSerializer.Deserialize<JsonElement>(json);
}

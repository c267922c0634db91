using System.Collections.Concurrent;
using System.Net;
using System.Text;
using SomaAgent.Client;
using SomaAgent.Client.Sessions;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Client;

/// <summary>The SDK's sessions against the real gateway: typed calls, problems as exceptions, streams that resume.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionsClientTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_is_opened_and_its_answer_streamed_event_by_event()
    {
        var client = Client();

        var created = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "What is 6*7?" }, cancellationToken: Ct);
        var events = await ToListAsync(client.Sessions.StreamEventsAsync(created.Id, cancellationToken: Ct));

        created.Status.ShouldBe("queued");
        events.Select(e => e.Sequence).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        events.ShouldContain(e => e.Type == SessionEventTypes.ToolCall);
        string.Concat(events.Select(e => e.Delta)).ShouldContain("42");
        var session = await client.Sessions.GetAsync(created.Id, cancellationToken: Ct);
        session.HasEnded.ShouldBeTrue();
        session.Output.ShouldBe(string.Concat(events.Select(e => e.Delta)));
    }

    [Fact]
    public async Task A_create_retried_with_its_idempotency_key_gives_the_same_session()
    {
        var client = Client();
        var key = "sdk-" + Guid.NewGuid().ToString("N");

        var first = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "hello" }, key, Ct);
        var again = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "hello" }, key, Ct);

        again.Id.ShouldBe(first.Id);
    }

    [Fact]
    public async Task Every_create_sends_an_idempotency_key_of_its_own()
    {
        var seen = new ConcurrentQueue<string?>();
        var client = Client(new Recording(seen));

        await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "one" }, cancellationToken: Ct);
        await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "one" }, cancellationToken: Ct);

        seen.Count.ShouldBe(2);
        seen.ShouldAllBe(k => k != null && k.Length >= 16);
        seen.Distinct().Count().ShouldBe(2);
    }

    [Fact]
    public async Task A_problem_becomes_an_exception_with_its_type_detail_and_trace_id()
    {
        var client = Client();
        var created = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "hi" }, cancellationToken: Ct);
        await ToListAsync(client.Sessions.StreamEventsAsync(created.Id, cancellationToken: Ct));

        var problem = await Should.ThrowAsync<SomaAgentProblemException>(() => client.Sessions.CancelAsync(created.Id, Ct));

        problem.Status.ShouldBe(HttpStatusCode.Conflict);
        problem.Type.ShouldBe("urn:somaagent:problem:turn-not-running");
        problem.Detail!.ShouldContain("nothing to cancel");
        problem.TraceId.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_validation_problem_names_each_field()
    {
        var client = Client();

        var problem = await Should.ThrowAsync<SomaAgentProblemException>(() =>
            client.Sessions.CreateAsync(new CreateSessionRequest { Input = " ", Model = "no-such-model" }, cancellationToken: Ct));

        problem.Type.ShouldBe("urn:somaagent:problem:validation");
        problem.Errors.Keys.ShouldBe(["input", "model"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_dropped_stream_resumes_with_Last_Event_ID_and_gives_every_event_once()
    {
        var dropping = new DropsFirstStream(afterEvents: 3);
        var client = Client(dropping);
        var created = await client.Sessions.CreateAsync(new CreateSessionRequest { Input = "What is 6*7?" }, cancellationToken: Ct);

        var events = await ToListAsync(client.Sessions.StreamEventsAsync(created.Id, cancellationToken: Ct));

        dropping.LastEventIds.ShouldBe([null, "3"]);
        events.Select(e => e.Sequence).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        events[^1].Type.ShouldBe(SessionEventTypes.Status);
    }

    [Fact]
    public async Task Lists_page_with_the_cursor_the_api_gives()
    {
        var client = Client();
        for (var i = 0; i < 3; i++)
        {
            await client.Sessions.CreateAsync(new CreateSessionRequest { Input = $"page {i}" }, cancellationToken: Ct);
        }

        var first = await client.Sessions.ListAsync(limit: 2, cancellationToken: Ct);
        var second = await client.Sessions.ListAsync(limit: 2, cursor: first.NextCursor, cancellationToken: Ct);

        first.Data.Count.ShouldBe(2);
        first.NextCursor.ShouldNotBeNull();
        second.Data.Select(s => s.Id).ShouldNotContain(first.Data[0].Id);
    }

    private SomaAgentClient Client(DelegatingHandler? handler = null)
    {
        var server = gateway.App.Server.CreateHandler();
        HttpMessageHandler pipeline = server;
        if (handler is not null)
        {
            handler.InnerHandler = server;
            pipeline = handler;
        }
        var http = new HttpClient(pipeline) { BaseAddress = new Uri("http://localhost/") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", GatewayApp.BootstrapKey);
        return new SomaAgentClient(http);
    }

    private static async Task<List<SessionEvent>> ToListAsync(IAsyncEnumerable<SessionEvent> events)
    {
        var list = new List<SessionEvent>();
        await foreach (var item in events)
        {
            list.Add(item);
        }
        return list;
    }

    /// <summary>Records the Idempotency-Key of every create.</summary>
    private sealed class Recording(ConcurrentQueue<string?> keys) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath == "/v1/sessions")
            {
                keys.Enqueue(request.Headers.TryGetValues("Idempotency-Key", out var values) ? values.Single() : null);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Cuts the first event stream after a few events, as a proxy that drops a connection would.</summary>
    private sealed class DropsFirstStream(int afterEvents) : DelegatingHandler
    {
        private int _streams;

        public List<string?> LastEventIds { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!request.RequestUri!.AbsolutePath.EndsWith("/events", StringComparison.Ordinal))
            {
                return response;
            }
            LastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var values) ? values.Single() : null);
            if (Interlocked.Increment(ref _streams) > 1)
            {
                return response;
            }
            var whole = await response.Content.ReadAsStringAsync(cancellationToken);
            var cut = 0;
            for (var i = 0; i < afterEvents; i++)
            {
                cut = whole.IndexOf("\n\n", cut, StringComparison.Ordinal) + 2;
            }
            response.Content = new StreamContent(new BreaksAfter(Encoding.UTF8.GetBytes(whole[..cut])));
            return response;
        }
    }

    /// <summary>Gives its bytes, then fails as a dropped connection does.</summary>
    private sealed class BreaksAfter(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = base.Read(buffer, offset, count);
            return read > 0 ? read : throw new IOException("The connection was reset.");
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("The connection was reset.");
        }
    }
}

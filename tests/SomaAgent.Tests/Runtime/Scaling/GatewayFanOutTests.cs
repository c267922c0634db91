using System.Globalization;
using System.Net.Http.Headers;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Scaling;

/// <summary>Any gateway streams any session: events reach every gateway over <c>session.events</c>.</summary>
[Collection(KafkaCollection.Name)]
public sealed class GatewayFanOutTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_on_one_gateway_streams_a_session_created_on_another_and_resumes_on_a_third_hop_back()
    {
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?> { ["SomaAgent:Models:Simulated:TimePerTokenMs"] = "40" });
        var gatewayA = deployment.AddGateway();
        var gatewayB = deployment.AddGateway();
        await deployment.StartWorkerAsync();
        await deployment.StartWorkerAsync();
        using var clientA = gatewayA.CreateClient();
        using var clientB = gatewayB.CreateClient();

        var id = await gatewayB.CreateSessionAsync(new { input = "What is 12*(3+4)? Then a long answer please, with many many words in it" }, Ct);

        // Part one on gateway A, live from its start; the client drops after a few events.
        var first = new List<SseEvent>();
        using (var response = await clientA.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await foreach (var item in SseReader.ReadAsync(await response.Content.ReadAsStreamAsync(Ct), Ct))
            {
                first.Add(item);
                if (item.Type == "message.delta" && first.Count(e => e.Type == "message.delta") == 3)
                {
                    break;
                }
            }
        }

        // Part two on gateway B, resumed with Last-Event-ID as EventSource does after a reconnect.
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/events");
        resume.Headers.Add("Last-Event-ID", first[^1].Id);
        resume.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var resumed = await clientB.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead, Ct);
        var second = await SseReader.ReadAllAsync(await resumed.Content.ReadAsStreamAsync(Ct), Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        var session = await gatewayA.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));
        session.GetProperty("status").GetString().ShouldBe("completed");
        var total = session.GetProperty("events").GetArrayLength();
        first.Concat(second).Select(e => long.Parse(e.Id!, CultureInfo.InvariantCulture))
            .ShouldBe(Enumerable.Range(1, total).Select(i => (long)i));
        second.ShouldNotBeEmpty();
    }
}

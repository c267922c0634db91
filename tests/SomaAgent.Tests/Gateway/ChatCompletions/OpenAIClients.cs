using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace SomaAgent.Tests.Gateway.ChatCompletions;

/// <summary>The official OpenAI SDK, unmodified, pointed at a gateway through its in-process HttpClient.</summary>
internal static class OpenAIClients
{
    public const string Model = "soma-simulated-1";

    public static ChatClient Chat(GatewayApp app, string model = Model)
    {
        var http = app.CreateClient();
        return new ChatClient(model, new ApiKeyCredential(GatewayApp.BootstrapKey), new OpenAIClientOptions
        {
            Transport = new HttpClientPipelineTransport(http),
            Endpoint = new Uri(http.BaseAddress!, "/v1"),
            // A failed request must fail the test at once, not be retried into another session.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
    }

    /// <summary>The session id inside a completion id (<c>chatcmpl-&lt;session id&gt;</c>).</summary>
    public static Guid SessionIdOf(string completionId) => Guid.Parse(completionId["chatcmpl-".Length..]);
}

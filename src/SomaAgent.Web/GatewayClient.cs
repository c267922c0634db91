using System.Net.Http.Json;
using System.Text.Json;

namespace SomaAgent.Web;

/// <summary>The UI's typed client of the gateway (found through service discovery as <c>gateway</c>).</summary>
public sealed class GatewayClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<GatewayOverview> GetOverviewAsync(CancellationToken cancellationToken)
    {
        try
        {
            var health = await http.GetFromJsonAsync<HealthDto>("/v1/health", Json, cancellationToken);
            var models = await http.GetFromJsonAsync<ListDto<ModelDto>>("/v1/models", Json, cancellationToken);
            var tools = await http.GetFromJsonAsync<ListDto<ToolDto>>("/v1/tools", Json, cancellationToken);
            return new GatewayOverview(true, health?.Status ?? "unknown", models?.Data ?? [], tools?.Data ?? [], null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new GatewayOverview(false, "unreachable", [], [], ex.Message);
        }
    }

    public sealed record GatewayOverview(bool Reachable, string Health, IReadOnlyList<ModelDto> Models, IReadOnlyList<ToolDto> Tools, string? Error);

    public sealed record ModelDto(string Id, string Provider, bool Simulated, bool Default, string Description);

    public sealed record ToolDto(string Name, string Description, string Source);

    private sealed record HealthDto(string Status);

    private sealed record ListDto<T>(IReadOnlyList<T> Data);
}

public static class GatewayClientExtensions
{
    /// <summary>
    /// Registers <see cref="GatewayClient"/> against <c>SomaAgent:Web:GatewayUrl</c> (default: service discovery),
    /// sending <c>SomaAgent:Web:ApiKey</c> as a bearer token when set.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayClient(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var baseAddress = builder.Configuration["SomaAgent:Web:GatewayUrl"] ?? "https+http://gateway";
        // The gateway requires a key; the AppHost hands the UI the bootstrap key until users sign in through the UI.
        var apiKey = builder.Configuration["SomaAgent:Web:ApiKey"];
        builder.Services.AddHttpClient<GatewayClient>(client =>
        {
            client.BaseAddress = new Uri(baseAddress);
            if (!string.IsNullOrEmpty(apiKey))
            {
                client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
            }
        });
        return builder;
    }
}

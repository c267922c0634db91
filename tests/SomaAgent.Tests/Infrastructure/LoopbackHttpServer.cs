using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// The real HTTP servers the tests start in process (fakes of OPA, OpenFGA, Vault and OpenAI, an MCP server):
/// Kestrel on 127.0.0.1 and a free port, quiet, and refusing to run anywhere but loopback.
/// </summary>
internal static class LoopbackHttpServer
{
    /// <summary>A Kestrel app bound to 127.0.0.1:0 without log providers; <paramref name="configure"/> adds services.</summary>
    public static WebApplication Create(Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Starts the app and returns the base address it listens on (e.g. <c>http://127.0.0.1:41234</c>).</summary>
    public static async Task<Uri> StartOnLoopbackAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.StartAsync(cancellationToken);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        if (!IPAddress.IsLoopback(IPAddress.Parse(address.Host)))
        {
            throw new InvalidOperationException($"A test server bound {address}, which is not loopback.");
        }
        return address;
    }
}

using Microsoft.Extensions.Hosting;
using SomaAgent.Runtime;
using SomaAgent.Tests.Gateway.Security;

namespace SomaAgent.Tests.Runtime;

/// <summary>A loop a service cannot work without never dies silently: it logs Critical and stops the host.</summary>
public sealed class BackgroundLoopTests
{
    [Fact]
    public async Task A_loop_that_fails_logs_critical_and_stops_the_host()
    {
        using var logs = new LogCapture();
        var lifetime = new RecordingLifetime();

        var run = BackgroundLoop.RunAsync("test consumer", () => throw new InvalidOperationException("broker says no"), lifetime, logs.CreateLogger("test"), CancellationToken.None);

        (await Should.ThrowAsync<InvalidOperationException>(run)).Message.ShouldBe("broker says no");
        logs.Lines.ShouldHaveSingleItem().ShouldBe("Critical: The test consumer stopped with an error; stopping the service so that it is restarted");
        lifetime.StopRequested.ShouldBeTrue();
    }

    [Fact]
    public async Task A_loop_cancelled_because_the_host_stops_ends_quietly()
    {
        using var logs = new LogCapture();
        var lifetime = new RecordingLifetime();
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        await BackgroundLoop.RunAsync("test consumer", () => Task.FromCanceled(stopping.Token), lifetime, logs.CreateLogger("test"), stopping.Token);

        logs.Lines.ShouldBeEmpty();
        lifetime.StopRequested.ShouldBeFalse();
    }

    private sealed class RecordingLifetime : IHostApplicationLifetime
    {
        public bool StopRequested { get; private set; }

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => StopRequested = true;
    }
}

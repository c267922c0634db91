using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Bench.Kafka;

/// <summary>
/// The bench's side of <see cref="KafkaClusterHost"/>: starts <c>SomaAgent.Bench kafka-cluster</c> as a child process,
/// reads its bootstrap servers, and sends it broker commands. Stopped by closing its input, then by its PID.
/// </summary>
internal sealed class KafkaClusterProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly SemaphoreSlim _commands = new(1, 1);

    private KafkaClusterProcess(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    public int Pid => _process.Id;

    public static async Task<KafkaClusterProcess> StartAsync(int partitions, int replication, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(KafkaClusterProcess).Assembly.Location, KafkaClusterHost.Scenario, "--partitions", partitions.ToString(CultureInfo.InvariantCulture), "--replication", replication.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the kafka-cluster process.");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            var first = await process.StandardOutput.ReadLineAsync(timeout.Token);
            return first is not null && first.StartsWith("bootstrap ", StringComparison.Ordinal)
                ? new KafkaClusterProcess(process, first["bootstrap ".Length..])
                : throw new InvalidOperationException($"The kafka-cluster process did not start: it printed '{first}'.");
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>Disconnects broker <paramref name="id"/> and refuses its connections; its partitions stall until it is up.</summary>
    public Task SetBrokerDownAsync(int id) => CommandAsync($"down {id}");

    public Task SetBrokerUpAsync(int id) => CommandAsync($"up {id}");

    /// <summary>
    /// Partitions whose oldest offset is above 0: the mock keeps about 5 MiB a partition and drops the oldest
    /// messages beyond it, so a run that should lose nothing must find none.
    /// </summary>
    public IReadOnlyList<string> TruncatedPartitions(int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = "bench-watermarks" }).Build();
        var truncated = new List<string>();
        foreach (var topic in Topics.All)
        {
            for (var partition = 0; partition < partitions; partition++)
            {
                var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10));
                if (marks.Low > 0)
                {
                    truncated.Add($"{topic}[{partition}] starts at {marks.Low.Value}");
                }
            }
        }
        return truncated;
    }

    private async Task CommandAsync(string command)
    {
        await _commands.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            var answer = await _process.StandardOutput.ReadLineAsync();
            if (answer != "ok")
            {
                throw new InvalidOperationException($"kafka-cluster: '{command}' answered '{answer}'.");
            }
        }
        finally
        {
            _commands.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        _process.Dispose();
        _commands.Dispose();
    }
}

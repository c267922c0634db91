using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.TestServers;

/// <summary>
/// librdkafka's built-in mock cluster: three real Kafka wire-protocol brokers (ids 1..3) on random loopback
/// ports, in memory, inside the test process. No Docker, no JVM. Clients connect through
/// <see cref="BootstrapServers"/>; topics are created with <see cref="CreateTopic"/> because the mock brokers
/// reject CreateTopics over the wire (unknown topics auto-create with 4 partitions).
/// </summary>
/// <remarks>
/// Facts: shared ENVIRONMENT.md, "Kafka mock cluster facts". The mock API is not wrapped by Confluent.Kafka,
/// so it is bound here against the very librdkafka build Confluent.Kafka loaded (on Debian that is
/// <c>centos8-librdkafka.so</c>, because the default build needs libsasl2.so.3). A broker set down keeps
/// its partition leadership, so its partitions stall until it is up again. Never call ListConsumerGroups
/// against it: that crashes the process.
/// </remarks>
public sealed partial class KafkaMockCluster : IAsyncDisposable
{
    private const int BrokerCount = 3;
    private const int ControllerId = 1;

    private nint _handle;
    private nint _cluster;
    private string? _bootstrapServers;

    /// <summary>The ids of the mock brokers.</summary>
    public static IReadOnlyList<int> BrokerIds { get; } = [1, 2, 3];

    /// <summary>The brokers' <c>host:port</c> list, for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers =>
        _bootstrapServers ?? throw new InvalidOperationException("The Kafka mock cluster has not been started.");

    /// <summary>Starts the brokers; they run until <see cref="DisposeAsync"/>.</summary>
    public KafkaMockCluster()
    {
        NativeMethods.EnsureLoaded();

        var errstr = new byte[512];
        var conf = NativeMethods.rd_kafka_conf_new();
        // log_level 4 (warning) hides the notice that this handle has no bootstrap.servers: it needs none.
        foreach (var (name, value) in (ReadOnlySpan<(string, string)>)[("client.id", "somaagent-kafka-mock"), ("log_level", "4")])
        {
            if (NativeMethods.rd_kafka_conf_set(conf, name, value, errstr, (nuint)errstr.Length) != 0)
            {
                NativeMethods.rd_kafka_conf_destroy(conf);
                throw new InvalidOperationException($"rd_kafka_conf_set({name}) failed: {ErrorText(errstr)}");
            }
        }

        // The mock cluster needs an rd_kafka_t for its bookkeeping; a producer (type 0) that never produces.
        // rd_kafka_new owns conf on success only.
        _handle = NativeMethods.rd_kafka_new(0, conf, errstr, (nuint)errstr.Length);
        if (_handle == 0)
        {
            NativeMethods.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {ErrorText(errstr)}");
        }

        _cluster = NativeMethods.rd_kafka_mock_cluster_new(_handle, BrokerCount);
        if (_cluster == 0)
        {
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }

        // Without a controller id, controller-bound admin calls hang; the default 3 s initial rebalance
        // delay would slow every consumer-group join.
        NativeMethods.rd_kafka_mock_set_controller_id(_cluster, ControllerId);
        NativeMethods.rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, 0);

        _bootstrapServers = Marshal.PtrToStringUTF8(NativeMethods.rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("rd_kafka_mock_cluster_bootstraps returned NULL.");
    }

    /// <summary>
    /// How often members of consumer-protocol (KIP-848) groups heartbeat, the broker's
    /// <c>group.consumer.heartbeat.interval.ms</c>: a member learns of partitions it must give up or take at its
    /// next heartbeat. The mock's default is 3 s (a real broker's, 5 s).
    /// </summary>
    public void SetConsumerGroupHeartbeatInterval(TimeSpan interval) =>
        NativeMethods.rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(Cluster, (int)interval.TotalMilliseconds);

    /// <summary>Creates the topic unless a test of the collection already did (the cluster outlives each test).</summary>
    public void EnsureTopic(string name, int partitions = 6, int replicationFactor = 3)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        const int TopicAlreadyExists = 36;
        var error = NativeMethods.rd_kafka_mock_topic_create(Cluster, name, partitions, replicationFactor);
        if (error != TopicAlreadyExists)
        {
            Check(error, $"create topic '{name}'");
        }
    }

    /// <summary>
    /// Creates SomaAgent's topics and their dead-letter topics as a deployment's Kafka would have them (the mock
    /// brokers refuse the services' CreateTopics).
    /// </summary>
    public void EnsureSomaAgentTopics(int partitions = 6, int replicationFactor = 3)
    {
        foreach (var topic in Topics.All)
        {
            EnsureTopic(topic, partitions, replicationFactor);
            EnsureTopic(Topics.DeadLetter(topic), partitions, replicationFactor);
        }
    }

    /// <summary>
    /// Reads a topic from its start with a fresh consumer group: waits up to <paramref name="timeout"/> for the
    /// first message, then takes the rest until every partition is read to its end. (A quiet spell is no sign of the
    /// end: the mock fetches partitions one after another, and under load one partition's messages can come half a
    /// second after another's.)
    /// </summary>
    public List<ConsumeResult<string, byte[]>> ReadFromStart(string topic, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = $"reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
        }).Build();
        consumer.Subscribe(topic);
        var messages = new List<ConsumeResult<string, byte[]>>();
        var atEnd = new HashSet<TopicPartition>();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } result)
            {
                continue;
            }
            if (!result.IsPartitionEOF)
            {
                atEnd.Remove(result.TopicPartition);
                messages.Add(result);
                continue;
            }
            atEnd.Add(result.TopicPartition);
            if (messages.Count > 0 && consumer.Assignment.Count > 0 && consumer.Assignment.All(atEnd.Contains))
            {
                break;
            }
        }
        return messages;
    }

    /// <summary>Creates a topic on the mock brokers; each partition gets a random leader (see <see cref="SetPartitionLeader"/>).</summary>
    public void CreateTopic(string name, int partitions = 6, int replicationFactor = 3)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Check(NativeMethods.rd_kafka_mock_topic_create(Cluster, name, partitions, replicationFactor), $"create topic '{name}'");
    }

    /// <summary>Moves the leadership of one partition to broker <paramref name="brokerId"/> (1..3; -1: no leader).</summary>
    /// <remarks>Topic creation places leaders at random, so a test that needs a given leader pins it here.</remarks>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        Check(NativeMethods.rd_kafka_mock_partition_set_leader(Cluster, topic, partition, brokerId),
            $"set leader of '{topic}' [{partition}] to broker {brokerId}");
    }

    /// <summary>Disconnects broker <paramref name="id"/> (1..3) and refuses new connections; leadership stays.</summary>
    public void SetBrokerDown(int id) => Check(NativeMethods.rd_kafka_mock_broker_set_down(Cluster, id), $"set broker {id} down");

    /// <summary>Lets broker <paramref name="id"/> (1..3) accept connections again.</summary>
    public void SetBrokerUp(int id) => Check(NativeMethods.rd_kafka_mock_broker_set_up(Cluster, id), $"set broker {id} up");

    public ValueTask DisposeAsync()
    {
        // Cluster first: it runs on the handle's internals, and rd_kafka_destroy waits for the handle's threads.
        if (_cluster != 0)
        {
            NativeMethods.rd_kafka_mock_cluster_destroy(_cluster);
            _cluster = 0;
        }

        if (_handle != 0)
        {
            NativeMethods.rd_kafka_destroy(_handle);
            _handle = 0;
        }

        return ValueTask.CompletedTask;
    }

    private nint Cluster =>
        _cluster != 0 ? _cluster : throw new InvalidOperationException("The Kafka mock cluster has not been started.");

    private static void Check(int error, string operation)
    {
        if (error != 0)
        {
            throw new InvalidOperationException(
                $"Kafka mock cluster: {operation} failed: {Marshal.PtrToStringUTF8(NativeMethods.rd_kafka_err2str(error))} ({error}).");
        }
    }

    private static string ErrorText(byte[] errstr)
    {
        var end = Array.IndexOf(errstr, (byte)0);
        return Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }

    /// <summary>
    /// The librdkafka C API (cdecl) including the mock API from <c>rdkafka_mock.h</c>. The library name below is
    /// resolved, through this assembly's DllImport resolver, to the librdkafka that Confluent.Kafka loaded.
    /// </summary>
    private static partial class NativeMethods
    {
        private const string LibraryName = "somaagent-librdkafka";
        private static readonly Lazy<nint> Handle = new(LoadLibrary);

        /// <summary>Loads librdkafka once and installs the resolver (one resolver per assembly is allowed).</summary>
        public static void EnsureLoaded() => _ = Handle.Value;

        private static nint LoadLibrary()
        {
            // Confluent.Kafka probes its builds itself (librdkafka.so, then centos8-/alpine- on Linux).
            Confluent.Kafka.Library.Load();
            var path = LoadedLibrdkafkaPath();
            var handle = NativeLibrary.Load(path);
            NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
            return handle;
        }

        private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
            libraryName == LibraryName ? Handle.Value : 0;

        /// <summary>Which librdkafka file is mapped into this process, read from <c>/proc/self/maps</c>.</summary>
        private static string LoadedLibrdkafkaPath()
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0)
                {
                    continue;
                }

                var path = line[slash..];
                var name = Path.GetFileName(path);
                if (name.Contains("librdkafka", StringComparison.Ordinal) && name.Contains(".so", StringComparison.Ordinal))
                {
                    return path;
                }
            }

            throw new InvalidOperationException(
                "Confluent.Kafka.Library.Load() succeeded but no librdkafka is mapped in /proc/self/maps.");
        }

#pragma warning disable SA1300, IDE1006 // C names, kept verbatim.
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial nint rd_kafka_conf_new();

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial int rd_kafka_conf_set(nint conf, string name, string value, [Out] byte[] errstr, nuint errstrSize);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial void rd_kafka_conf_destroy(nint conf);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial nint rd_kafka_new(int type, nint conf, [Out] byte[] errstr, nuint errstrSize);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial void rd_kafka_destroy(nint rk);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial nint rd_kafka_err2str(int err);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial nint rd_kafka_mock_cluster_new(nint rk, int brokerCount);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial void rd_kafka_mock_cluster_destroy(nint mcluster);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial nint rd_kafka_mock_cluster_bootstraps(nint mcluster);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial int rd_kafka_mock_topic_create(nint mcluster, string topic, int partitionCount, int replicationFactor);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial int rd_kafka_mock_partition_set_leader(nint mcluster, string topic, int partition, int brokerId);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial int rd_kafka_mock_broker_set_down(nint mcluster, int brokerId);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial int rd_kafka_mock_broker_set_up(nint mcluster, int brokerId);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial void rd_kafka_mock_set_controller_id(nint mcluster, int controllerId);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(nint mcluster, int delayMs);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        internal static partial void rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(nint mcluster, int intervalMs);
#pragma warning restore SA1300, IDE1006
    }
}

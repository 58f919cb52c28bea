// librdkafka's built-in mock cluster, for `kvdb bench kafka` and the Kafka bridge tests: real
// Kafka protocol brokers (produce, fetch, consumer groups, offset commits) on loopback ports,
// inside this process.
// Confluent.Kafka does not wrap the mock API, so this calls librdkafka (the native library
// Confluent.Kafka ships) directly: a handle of its own owns the cluster, which lives, and stays
// reachable from other processes on its ports, until Dispose.
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace KvDb.Bench;

/// <summary>An in-process mock Kafka cluster.</summary>
public sealed partial class MockKafkaCluster : IDisposable
{
    private const int ProducerType = 0;
    private IntPtr handle;
    private IntPtr cluster;

    private MockKafkaCluster(IntPtr handle, IntPtr cluster)
    {
        this.handle = handle;
        this.cluster = cluster;
        BootstrapServers = Marshal.PtrToStringUTF8(Bootstraps(cluster)) ?? throw new InvalidOperationException("the mock cluster has no bootstrap servers");
    }

    /// <summary>host:port,... of its brokers.</summary>
    public string BootstrapServers { get; }

    /// <summary>Starts a mock cluster of <paramref name="brokers"/> brokers.</summary>
    public static MockKafkaCluster Start(int brokers = 1)
    {
        Library.Load();
        NativeBinding.Ensure();
        var conf = ConfNew();
        var error = new byte[512];
        var rk = New(ProducerType, conf, error, (nuint)error.Length);
        if (rk == IntPtr.Zero)
            throw new InvalidOperationException("rd_kafka_new: " + Encoding.UTF8.GetString(error).TrimEnd('\0'));
        var mcluster = ClusterNew(rk, brokers);
        if (mcluster == IntPtr.Zero)
        {
            Destroy(rk);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        return new MockKafkaCluster(rk, mcluster);
    }

    /// <summary>Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions.</summary>
    public void CreateTopic(string topic, int partitions)
    {
        var error = TopicCreate(cluster, topic, partitions, 1);
        if (error != 0)
            throw new InvalidOperationException($"rd_kafka_mock_topic_create({topic}) failed: error {error}");
    }

    /// <summary>A producer of this cluster (acks=all, idempotent, so retries never duplicate a record).</summary>
    public IProducer<byte[]?, byte[]?> Producer()
        => new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        }).Build();

    /// <summary>The group's committed offset of each partition of <paramref name="topic"/> (-1001 when none).</summary>
    public List<long> Committed(string group, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = group }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .OrderBy(static o => o.Partition.Value).Select(static o => o.Offset.Value).ToList();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (cluster != IntPtr.Zero)
            ClusterDestroy(cluster);
        if (handle != IntPtr.Zero)
            Destroy(handle);
        cluster = IntPtr.Zero;
        handle = IntPtr.Zero;
    }

    [LibraryImport("librdkafka", EntryPoint = "rd_kafka_conf_new")]
    private static partial IntPtr ConfNew();

    [LibraryImport("librdkafka", EntryPoint = "rd_kafka_new")]
    private static partial IntPtr New(int type, IntPtr conf, [Out] byte[] errstr, nuint size);

    [LibraryImport("librdkafka", EntryPoint = "rd_kafka_destroy")]
    private static partial void Destroy(IntPtr rk);

    [LibraryImport("librdkafka", EntryPoint = "rd_kafka_mock_cluster_new")]
    private static partial IntPtr ClusterNew(IntPtr rk, int brokers);

    [LibraryImport("librdkafka", EntryPoint = "rd_kafka_mock_cluster_destroy")]
    private static partial void ClusterDestroy(IntPtr cluster);

    [LibraryImport("librdkafka", EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    private static partial IntPtr Bootstraps(IntPtr cluster);

    [LibraryImport("librdkafka", EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int TopicCreate(IntPtr cluster, string topic, int partitions, int replicationFactor);

    // Confluent.Kafka loads one of the builds librdkafka.redist ships (the plain one needs
    // libsasl2, which a machine may lack; it falls back to the self-contained centos8 one). The
    // P/Invokes here must bind to a build that loads, the same one: dlopen of a path already
    // loaded returns that library.
    private static class NativeBinding
    {
        private static readonly Lazy<bool> Registered = new(static () =>
        {
            NativeLibrary.SetDllImportResolver(typeof(MockKafkaCluster).Assembly, static (name, _, _) => name == "librdkafka" ? Load() : IntPtr.Zero);
            return true;
        });

        public static void Ensure() => _ = Registered.Value;

        private static IntPtr Load()
        {
            var native = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier.StartsWith("linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64", "native");
            foreach (var file in new[] { "librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so" })
            {
                if (NativeLibrary.TryLoad(Path.Combine(native, file), out var handle))
                    return handle;
            }

            throw new DllNotFoundException($"no librdkafka build in {native} loads on this machine");
        }
    }
}

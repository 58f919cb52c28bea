// `kvdb kafka-bridge --config bridge.toml`: reads and checks the configuration, then runs the
// bridge until SIGTERM or Ctrl+C.
// Invariants:
//  - Exit codes: 0 stopped by a signal after flushing and committing, 1 failed while running
//    (a fatal Kafka error), 2 bad command line or configuration, with one line on stderr that
//    names the setting ("kvdb kafka-bridge: [parser] nonce_parser: ...").
//  - The first SIGTERM/Ctrl+C flushes what was consumed, commits and leaves the group; a second
//    one gives up on what is not written yet (it was not committed, so it is replayed).
using System.Runtime.InteropServices;
using Confluent.Kafka;
using KvDb.Client;

namespace KvDb.Kafka;

/// <summary>Entry point of the <c>kvdb kafka-bridge</c> subcommand.</summary>
public static class KafkaBridgeCommand
{
    /// <summary>The word that selects this subcommand as kvdb's first argument.</summary>
    public const string Name = "kafka-bridge";

    private const string Usage = """
        Usage: kvdb kafka-bridge --config bridge.toml

        Consumes Kafka topics into kvdb's lists, exactly once: records are batched per list,
        appended with nonces (by default the record's offset) so a replay is skipped, and
        offsets are committed only after kvdb acknowledged the records below them.
        See docs/operations/kafka-bridge.md for bridge.toml.

        """;

    /// <summary>Runs <c>kvdb kafka-bridge</c> with the arguments after "kafka-bridge"; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["--help" or "-h"])
        {
            await Console.Out.WriteAsync(Usage);
            return 0;
        }

        var path = args switch
        {
            ["--config", var file] => file,
            [var single] when single.StartsWith("--config=", StringComparison.Ordinal) => single["--config=".Length..],
            _ => null,
        };
        if (string.IsNullOrEmpty(path))
        {
            await Console.Error.WriteLineAsync("kvdb kafka-bridge: expected --config bridge.toml (see kvdb kafka-bridge --help)");
            return 2;
        }

        BridgeSettings settings;
        try
        {
            settings = Load(path);
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"kvdb kafka-bridge: {e.Message}");
            return 2;
        }

        return await RunAsync(settings, Console.Error);
    }

    /// <summary>Reads bridge.toml; throws <see cref="ConfigException"/> naming what is wrong.</summary>
    internal static BridgeSettings Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException("--config", $"cannot read {path}: {e.Message}");
        }

        var settings = BridgeSettings.Parse(text);
        CheckKafkaProperties(settings.Kafka);
        return settings;
    }

    // librdkafka checks its properties when a client is built: build one (it connects to nothing
    // until it subscribes) so an unknown or bad property is a configuration error, exit 2.
    private static void CheckKafkaProperties(KafkaSettings kafka)
    {
        try
        {
            using var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaBridge.ConsumerConfig(kafka)).Build();
        }
        catch (Exception e) when (e is ArgumentException or KafkaException or InvalidOperationException)
        {
            var property = kafka.Properties.Keys.FirstOrDefault(k => e.Message.Contains('"' + k + '"', StringComparison.Ordinal))
                ?? kafka.Properties.Keys.FirstOrDefault(k => e.Message.Contains(k, StringComparison.Ordinal));
            throw new ConfigException(property is null ? "[kafka]" : $"[kafka] {property}", e.Message);
        }
    }

    private static async Task<int> RunAsync(BridgeSettings settings, TextWriter log)
    {
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (stop.IsCancellationRequested)
                abort.Cancel();
            else
                stop.Cancel();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        var options = new KvClientOptions
        {
            UserName = settings.Kvdb.Username,
            Password = settings.Kvdb.Password,
            Token = settings.Kvdb.Token,
            TrustedCaFile = settings.Kvdb.TlsCaFile,
            ClientCertificateFile = settings.Kvdb.TlsCertFile,
            ClientKeyFile = settings.Kvdb.TlsKeyFile,
        };
        foreach (var endpoint in settings.Kvdb.Endpoints)
            options.Endpoints.Add(endpoint);
        await using var client = new KvClient(options);
        var bridge = new KafkaBridge(settings, new KvClientSink(client), log);
        using var metrics = bridge.Metrics;
        BridgeMetricsServer? server;
        try
        {
            server = settings.MetricsListen is { } listen ? BridgeMetricsServer.Start(listen, log) : null;
        }
        catch (ConfigException e)
        {
            await log.WriteLineAsync($"kvdb kafka-bridge: {e.Message}");
            return 2;
        }

        using var metricsServer = server;
        try
        {
            await bridge.RunAsync(stop.Token, abort.Token);
            return 0;
        }
        catch (KafkaException e)
        {
            await log.WriteLineAsync($"kvdb kafka-bridge: {e.Error.Reason}");
            return 1;
        }
    }
}

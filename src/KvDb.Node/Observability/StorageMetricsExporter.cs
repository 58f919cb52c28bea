// Storage figures on /metrics and compaction lines in the log, from whatever storage engine
// the state machine's store is (IStorageMetricsSource), plus the data directory's size.
// Invariants:
//  - With no engine (NoStorageMetrics, the in-memory store today) the kvdb_storage_* series
//    are absent rather than zero; kvdb_data_dir_bytes is always there.
//  - Figures are read just before each scrape; the engine's Current must be cheap (see the
//    interface). The data directory is walked once per scrape.
//  - Each CompactionCompleted event becomes one Information line ("storage: Compaction done").
using KvDb.Core.Operations;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;
using Prometheus;

namespace KvDb.Node.Observability;

/// <summary>Exports storage-engine figures and logs compactions.</summary>
public sealed partial class StorageMetricsExporter : IHostedService
{
    private readonly IStorageMetricsSource source;
    private readonly MemberOptions member;
    private readonly CollectorRegistry registry;
    private readonly ILogger<StorageMetricsExporter> logger;
    private readonly Gauge dataDirBytes, memtableBytes, tableFiles, tableBytes;
    private readonly Counter compactions;
    private volatile bool started;

    /// <summary>Creates the series; storage series appear once the engine reports figures.</summary>
    public StorageMetricsExporter(IStorageMetricsSource source, IOptions<MemberOptions> member, CollectorRegistry registry, IMetricFactory metrics, ILogger<StorageMetricsExporter> logger)
    {
        this.source = source;
        this.member = member.Value;
        this.registry = registry;
        this.logger = logger;
        var later = new GaugeConfiguration { SuppressInitialValue = true };
        dataDirBytes = metrics.CreateGauge("kvdb_data_dir_bytes", "Bytes of the files in this member's data directory (--data-dir; with --in-memory its memory-backed temporary directory).");
        memtableBytes = metrics.CreateGauge("kvdb_storage_memtable_bytes", "Bytes held in the storage engine's memtable(s), not yet in table files.", later);
        tableFiles = metrics.CreateGauge("kvdb_storage_table_files", "Table files the storage engine keeps on disk.", later);
        tableBytes = metrics.CreateGauge("kvdb_storage_table_bytes", "Total bytes of the storage engine's table files.", later);
        compactions = metrics.CreateCounter("kvdb_storage_compactions_total", "Compactions the storage engine has finished since the process started.", new CounterConfiguration { SuppressInitialValue = true });
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        source.CompactionCompleted += OnCompactionCompleted;
        registry.AddBeforeCollectCallback(Update);
        started = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        started = false;
        source.CompactionCompleted -= OnCompactionCompleted;
        return Task.CompletedTask;
    }

    private void Update()
    {
        if (!started)
            return;

        dataDirBytes.Set(DataDirectorySize.Of(member.DataDir));
        if (source.Current is not { } figures)
            return;

        memtableBytes.Set(figures.MemtableBytes);
        tableFiles.Set(figures.TableFiles);
        tableBytes.Set(figures.TableBytes);
        compactions.IncTo(figures.CompactionsCompleted);
    }

    private void OnCompactionCompleted(CompactionSummary compaction)
        => LogCompactionDone(compaction.Level, compaction.InputFiles, compaction.OutputFiles, compaction.BytesWritten, compaction.Duration.TotalMilliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Compaction done: level {Level}, {InputFiles} table file(s) in, {OutputFiles} out, {Bytes} bytes written in {ElapsedMs:0} ms")]
    private partial void LogCompactionDone(int level, int inputFiles, int outputFiles, long bytes, double elapsedMs);
}

// The seam through which a storage engine reports what operators watch: memtable size, table
// files, compactions. The engine lives in KvDb.Core, so the seam does too; the kvdb executable
// turns it into /metrics series and log lines (KvDb.Node/Operations/StorageMetricsExporter).
// Invariants:
//  - Current is cheap and non-blocking: it is read on every Prometheus scrape, on the scrape
//    thread, possibly while the engine writes or compacts. Figures may be a moment stale.
//  - CompactionsCompleted never decreases while the process runs (it is exported as a counter).
//  - A store that reports nothing (the in-memory store today) is represented by
//    NoStorageMetrics, whose Current is null: no storage series are exported then, rather
//    than zeros that would look like an engine with an empty memtable.
namespace KvDb.Core.Operations;

/// <summary>
/// Implemented by a storage engine (typically the <see cref="State.IKeyValueStore"/> itself) to
/// expose its figures. kvdb picks it up when the state machine's store implements this interface.
/// </summary>
public interface IStorageMetricsSource
{
    /// <summary>The engine's current figures, or null when there is no engine to report on.</summary>
    StorageFigures? Current { get; }

    /// <summary>
    /// Raised once per finished compaction, on the engine's thread; handlers only log and count,
    /// so raising it never blocks the engine for long.
    /// </summary>
    event Action<CompactionSummary>? CompactionCompleted;
}

/// <summary>A point-in-time reading of a storage engine.</summary>
/// <param name="MemtableBytes">Bytes held in the memtable(s) not yet flushed to table files.</param>
/// <param name="TableFiles">Table files currently live on disk.</param>
/// <param name="TableBytes">Total bytes of the live table files.</param>
/// <param name="CompactionsCompleted">Compactions finished since the process started.</param>
public readonly record struct StorageFigures(long MemtableBytes, int TableFiles, long TableBytes, long CompactionsCompleted);

/// <summary>What one compaction did, for its log line.</summary>
/// <param name="Level">The level (or tier) the output was written to.</param>
/// <param name="InputFiles">Table files read.</param>
/// <param name="OutputFiles">Table files written.</param>
/// <param name="BytesWritten">Bytes written to the output files.</param>
/// <param name="Duration">Wall-clock time the compaction took.</param>
public readonly record struct CompactionSummary(int Level, int InputFiles, int OutputFiles, long BytesWritten, TimeSpan Duration);

/// <summary>The default source: no storage engine, so nothing to report.</summary>
public sealed class NoStorageMetrics : IStorageMetricsSource
{
    /// <summary>The shared instance.</summary>
    public static NoStorageMetrics Instance { get; } = new();

    private NoStorageMetrics()
    {
    }

    /// <inheritdoc/>
    public StorageFigures? Current => null;

    /// <inheritdoc/>
    public event Action<CompactionSummary>? CompactionCompleted
    {
        add { }
        remove { }
    }
}

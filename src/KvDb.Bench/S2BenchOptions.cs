// Everything one `kvdb bench s2` run is configured with, after parsing and validation.
// Invariants: once built by S2BenchCommandLine.Parse every field is valid (at least one
// endpoint, each an absolute http(s) base URL ending in "/"; at least one workload; sizes,
// counts and durations within the ranges --help documents; a batch of Batch records of
// RecordSize bytes fits S2's 1 MiB metered limit), so the workloads never re-check them.
using System.Security.Cryptography.X509Certificates;

namespace KvDb.Bench;

/// <summary>The workloads of <c>kvdb bench s2</c>.</summary>
[Flags]
public enum S2Workloads
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>Append throughput and ack latency at each of the --sessions counts.</summary>
    Append = 1,

    /// <summary>The latency from an append's acknowledgement to a tailing reader on another member.</summary>
    Tail = 2,

    /// <summary>Fill a stream to --catchup-size, then read it from seq_num 0 on another member.</summary>
    CatchUp = 4,

    /// <summary>All three, in that order.</summary>
    All = Append | Tail | CatchUp,
}

/// <summary>The validated configuration of one <c>kvdb bench s2</c> run.</summary>
public sealed class S2BenchOptions
{
    /// <summary>S2's metered size of a record without headers: 8 bytes plus its body.</summary>
    public const int RecordOverhead = 8;

    /// <summary>S2's limit on the metered size of one append.</summary>
    public const int MaxBatchMeteredBytes = 1 << 20;

    /// <summary>S2's limit on the records of one append.</summary>
    public const int MaxBatchRecords = 1000;

    /// <summary>Base URLs of the members, each ending in "/"; session i talks to endpoint i mod count.</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>Which workloads run.</summary>
    public S2Workloads Workloads { get; init; } = S2Workloads.All;

    /// <summary>The append workload runs once per entry, with that many concurrent append sessions.</summary>
    public IReadOnlyList<int> Sessions { get; init; } = [1, 16];

    /// <summary>Bytes per record body.</summary>
    public int RecordSize { get; init; } = 1024;

    /// <summary>Records per append (one AppendInput frame).</summary>
    public int Batch { get; init; } = 16;

    /// <summary>Appends a session keeps unacknowledged at most.</summary>
    public int Inflight { get; init; } = 4;

    /// <summary>How long the append and tail workloads are measured, each.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>How long they run before measuring starts.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Body bytes the catch-up stream is filled with before it is read.</summary>
    public long CatchUpBytes { get; init; } = 1L << 30;

    /// <summary>How long a set-up request, or the last acks after the load stops, may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Print the results as one JSON object instead of a table.</summary>
    public bool Json { get; init; }

    /// <summary>The CA certificates https endpoints' certificates must chain to; null for the system's roots.</summary>
    public X509Certificate2Collection? TrustedCa { get; init; }

    /// <summary>The value of the Authorization header sent with every request; null for none.</summary>
    public string? Authorization { get; init; }

    /// <summary>Records per append while the catch-up stream is filled: as many as S2 allows in one append.</summary>
    public int FillBatch => Math.Min(MaxBatchRecords, Math.Max(1, MaxBatchMeteredBytes / (RecordOverhead + RecordSize)));

    /// <summary>Records the catch-up stream is filled with: --catchup-size in whole appends of <see cref="FillBatch"/>.</summary>
    public long CatchUpRecords
    {
        get
        {
            var records = (CatchUpBytes + RecordSize - 1) / Math.Max(1, RecordSize);
            return (records + FillBatch - 1) / FillBatch * FillBatch;
        }
    }

    /// <summary>The endpoint of session <paramref name="session"/>.</summary>
    public Uri EndpointOf(int session) => Endpoints[session % Endpoints.Count];
}

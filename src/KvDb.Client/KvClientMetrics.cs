// The client's instruments, on a Meter named "KvDb.Client" (from the options' IMeterFactory,
// else one shared by every client of the process).
// Invariants: requests counts HTTP requests sent (every try), with the operation and the
// answer's status code, or "error" when none came; retries counts the tries after an
// operation's first; failovers counts moves to another member after a failure; watch
// reconnects counts a watch opening its stream again after losing it.
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KvDb.Client;

/// <summary>The client's counters.</summary>
internal sealed class KvClientMetrics
{
    /// <summary>The name of the client's meter.</summary>
    public const string MeterName = "KvDb.Client";

    private static readonly Meter SharedMeter = new(MeterName);

    private readonly Counter<long> requests;
    private readonly Counter<long> retries;
    private readonly Counter<long> failovers;
    private readonly Counter<long> watchReconnects;
    private readonly Histogram<double> duration;

    /// <summary>Makes the instruments on a meter from <paramref name="factory"/>, or on the shared meter.</summary>
    public KvClientMetrics(IMeterFactory? factory)
    {
        var meter = factory?.Create(MeterName) ?? SharedMeter;
        requests = meter.CreateCounter<long>("kvdb.client.requests", "{request}", "HTTP requests sent to members, every try counted.");
        retries = meter.CreateCounter<long>("kvdb.client.retries", "{request}", "Tries after an operation's first.");
        failovers = meter.CreateCounter<long>("kvdb.client.failovers", "{failover}", "Moves to another member after a failure.");
        watchReconnects = meter.CreateCounter<long>("kvdb.client.watch.reconnects", "{reconnect}", "Watch streams opened again after being lost.");
        duration = meter.CreateHistogram<double>("kvdb.client.request.duration", "s", "Time to the answer's headers of each HTTP request.");
    }

    /// <summary>One request of <paramref name="operation"/> answered <paramref name="status"/> (0: no answer) after <paramref name="elapsed"/>.</summary>
    public void Request(string operation, int status, TimeSpan elapsed)
    {
        var tags = new TagList { { "operation", operation }, { "status", status == 0 ? "error" : StatusText(status) } };
        requests.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>A try of <paramref name="operation"/> after its first.</summary>
    public void Retry(string operation) => retries.Add(1, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>A move to another member after a failure.</summary>
    public void Failover(string operation) => failovers.Add(1, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>A watch opened its stream again.</summary>
    public void WatchReconnect() => watchReconnects.Add(1);

    private static string StatusText(int status) => status switch
    {
        200 => "200",
        204 => "204",
        404 => "404",
        412 => "412",
        503 => "503",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

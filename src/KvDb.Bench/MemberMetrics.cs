// Watch mode's look at the watched member: a few gauges from its GET /metrics (Prometheus
// text format). kvdb exports prometheus-net's process metrics and its own watch gauge:
//   process_working_set_bytes   the process's resident memory (the member's memory),
//   dotnet_total_memory_bytes   the managed heap in use (GC.GetTotalMemory),
//   kvdb_watch_open             watches streaming from the member now.
// Invariants: a gauge that is absent or unreadable is null, never 0 (a member without /metrics
// still lets the benchmark finish, the report says "unknown"), with one exception: kvdb
// publishes kvdb_watch_open only once a watch has opened since it started, so a kvdb
// exposition (one with kvdb_ series) without it means 0 open watches. Reading never throws.
using System.Globalization;

namespace KvDb.Bench;

/// <summary>The watched member's gauges at one moment; each null when /metrics did not have it.</summary>
/// <param name="WorkingSetBytes">process_working_set_bytes: resident memory.</param>
/// <param name="ManagedHeapBytes">dotnet_total_memory_bytes: managed heap in use.</param>
/// <param name="OpenWatches">kvdb_watch_open: watches streaming from the member.</param>
public sealed record MemberSample(long? WorkingSetBytes, long? ManagedHeapBytes, long? OpenWatches)
{
    /// <summary>Nothing known (/metrics could not be read).</summary>
    public static readonly MemberSample Unknown = new(null, null, null);
}

/// <summary>Reads <see cref="MemberSample"/>s from a member's <c>/metrics</c>.</summary>
public static class MemberMetrics
{
    /// <summary>The gauge of the member's resident memory.</summary>
    public const string WorkingSet = "process_working_set_bytes";

    /// <summary>The gauge of the member's managed heap.</summary>
    public const string ManagedHeap = "dotnet_total_memory_bytes";

    /// <summary>The gauge of the watches the member is streaming.</summary>
    public const string OpenWatches = "kvdb_watch_open";

    private const string KvdbPrefix = "kvdb_";

    /// <summary>Scrapes <paramref name="endpoint"/>'s /metrics; <see cref="MemberSample.Unknown"/> when that fails.</summary>
    public static async Task<MemberSample> ReadAsync(HttpClient client, Uri endpoint, string? authorization, TimeSpan timeout, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
            deadline.CancelAfter(timeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, "metrics"))
            {
                Version = System.Net.HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            if (authorization is not null)
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return MemberSample.Unknown;
            return Parse(await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return MemberSample.Unknown;
        }
    }

    /// <summary>The gauges of a Prometheus text exposition.</summary>
    public static MemberSample Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        long? workingSet = null, heap = null, watches = null;
        var isKvdb = false;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.IsEmpty || line[0] == '#')
                continue;
            isKvdb |= line.StartsWith(KvdbPrefix, StringComparison.Ordinal);
            workingSet ??= Value(line, WorkingSet);
            heap ??= Value(line, ManagedHeap);
            watches ??= Value(line, OpenWatches);
        }

        return new MemberSample(workingSet, heap, watches ?? (isKvdb ? 0 : null));
    }

    // The value of an unlabelled sample "name value" (a float such as 1.2e+08 is rounded).
    private static long? Value(ReadOnlySpan<char> line, string name)
    {
        if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] != ' ')
            return null;
        var rest = line[(name.Length + 1)..].Trim();
        var space = rest.IndexOf(' ');
        if (space >= 0)
            rest = rest[..space]; // a timestamp may follow
        return double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? (long)Math.Round(value) : null;
    }
}

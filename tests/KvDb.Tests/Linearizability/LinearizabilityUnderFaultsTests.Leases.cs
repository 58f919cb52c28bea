// Leases in the fault suite, under the same nemeses as the registers: lease clients grant a
// lease (TTL 2 s), attach a key to it, keep it alive a few times, then let it go and read the
// key (linearizable reads) until it is gone. The check is the bound of docs/api/leases.md:
// only the leader's clock decides expiry, a keep-alive restarts the TTL where the leader
// handles it, and a new leader gives every lease its whole TTL from when it takes over. So a
// key attached to a lease must be gone for any linearizable read that starts later than
//   max(last acknowledged grant or keep-alive, start of the newest leadership)
//     + (TTL + one tick of the leader's lease clock, 200 ms) / (the slowest clock's rate)
//     + the time to commit and apply the revocation (allowed: LeaseCommitAllowance, 6 s, or
//       twice the longest acknowledged lease write of the run if more: the revocation is a write
//       too, and under a delayed, lossy link on a loaded machine writes took 4 s and more).
// Invariants of the recording:
//  - A lease is checked only if its grant and every keep-alive sent for it were answered: an
//    unanswered keep-alive may have restarted the TTL at any time (a cut link delivers it when
//    healed), so a lease with one is left out (counted as "tainted").
//  - A leadership's start is when a leader monitor first saw its term led (a member saying it
//    leads, or a follower naming its leader), polling every member every 100 ms: always after
//    the real start, so the bound it gives is never tighter than the real one. Leaderships first
//    seen up to LeaderMonitorLag after a read answered count for it (a monitor poll may be slow).
//  - The lease keys are written only with their lease and never by the register clients, so a
//    read that finds the value finds the lease's key alive; they are not in the
//    linearizability history (expiry is a write no client made).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Linearizability;

public sealed partial class LinearizabilityUnderFaultsTests
{
    private const int LeaseClients = 4;
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LeaseClockTick = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LeaseCommitAllowance = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan LeaderMonitorLag = TimeSpan.FromSeconds(1.5);

    private sealed partial class Workload
    {
        private readonly ConcurrentBag<LeaseRecord> leases = [];

        // The longest time an acknowledged grant or lease put took (Stopwatch ticks): commits
        // took that long during the run, so a revocation may have too.
        private long longestLeaseWrite;

        // Term → when the monitor first saw it led.
        private readonly ConcurrentDictionary<long, long> leaderships = new();

        /// <summary>Polls every member's status until <paramref name="stop"/>, noting when each term was first seen led.</summary>
        public async Task WatchLeadershipsAsync(CancellationToken stop)
        {
            using var quick = cluster.NewClient(TimeSpan.FromSeconds(1));
            while (!stop.IsCancellationRequested)
            {
                await Task.WhenAll(Everyone.Select(id => NoteLeadershipAsync(quick, id)));
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        private async Task NoteLeadershipAsync(HttpClient quick, int id)
        {
            try
            {
                using var status = JsonDocument.Parse(await quick.GetStringAsync(new Uri(cluster.Url(id), "v1/status")));
                var root = status.RootElement;
                var led = root.GetProperty("role").GetString() == "leader"
                          || (root.TryGetProperty("leader", out var leader) && leader.ValueKind is JsonValueKind.Object);
                if (led)
                    leaderships.TryAdd(root.GetProperty("term").GetInt64(), Stopwatch.GetTimestamp());
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or IOException)
            {
                // Paused, killed or busy: the other members tell.
            }
        }

        public async Task RunLeaseClientAsync(int clientId, CancellationToken stop)
        {
            var random = new Random(clientId * 4099 + 3);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var record = new LeaseRecord($"lease/c{clientId}/{n}", $"l{clientId}-{n}");
                leases.Add(record);
                try
                {
                    await OneLeaseAsync(record, random, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        // Grant, attach, keep alive 0-2 times, then read until the key is gone.
        private async Task OneLeaseAsync(LeaseRecord record, Random random, CancellationToken stop)
        {
            var member = 1 + random.Next(3);
            var grantSent = Stopwatch.GetTimestamp();
            using (var grant = await SendLeaseAsync(HttpMethod.Post, new Uri(cluster.Url(member), "v1/leases"), "{\"ttl\":\"2s\"}"))
            {
                if (grant?.StatusCode != HttpStatusCode.Created)
                {
                    Count("GRANT", grant is null ? -1 : (int)grant.StatusCode);
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stop);
                    return;
                }

                Count("GRANT", 201);
                using var granted = JsonDocument.Parse(await grant.Content.ReadAsStringAsync(stop));
                record.Id = granted.RootElement.GetProperty("id").GetInt64();
                record.LastAcknowledged = Stopwatch.GetTimestamp();
                NoteLeaseWrite(record.LastAcknowledged - grantSent);
            }

            member = 1 + random.Next(3);
            var putSent = Stopwatch.GetTimestamp();
            using (var put = await SendLeaseAsync(HttpMethod.Put, cluster.KeyUrl(member, record.Key, $"lease={record.Id}"), record.Value))
            {
                Count("LEASE-PUT", put is null ? -1 : (int)put.StatusCode);
                if (put?.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK)
                    NoteLeaseWrite(Stopwatch.GetTimestamp() - putSent);
            }

            for (var keepAlives = random.Next(3); keepAlives > 0 && !record.Tainted; keepAlives--)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(600), stop);
                member = 1 + random.Next(3);
                using var kept = await SendLeaseAsync(HttpMethod.Post, new Uri(cluster.Url(member), $"v1/leases/{record.Id}/keepalive"), null);
                Count("KEEPALIVE", kept is null ? -1 : (int)kept.StatusCode);
                switch (kept?.StatusCode)
                {
                    case HttpStatusCode.OK:
                        record.LastAcknowledged = Stopwatch.GetTimestamp();
                        break;
                    case HttpStatusCode.NotFound:
                        // Expired already (it was not kept alive in time): nothing restarted.
                        keepAlives = 0;
                        break;
                    default:
                        record.Tainted = true;
                        break;
                }
            }

            // Read until the key is gone, for at most a generous multiple of the bound.
            var giveUp = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 20;
            while (Stopwatch.GetTimestamp() < giveUp)
            {
                member = 1 + random.Next(3);
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync(cluster.KeyUrl(member, record.Key), stop);
                    var answered = Stopwatch.GetTimestamp();
                    Count("LEASE-GET", (int)response.StatusCode);
                    if (response.StatusCode is HttpStatusCode.OK)
                    {
                        var value = await response.Content.ReadAsStringAsync(stop);
                        record.Observations.Add(new LeaseObservation(sent, answered, Present: value == record.Value, member));
                    }
                    else if (response.StatusCode is HttpStatusCode.NotFound)
                    {
                        record.Observations.Add(new LeaseObservation(sent, answered, Present: false, member));
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !stop.IsCancellationRequested))
                {
                    Count("LEASE-GET", -1);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(150), stop);
            }
        }

        private void NoteLeaseWrite(long ticks)
        {
            var seen = Interlocked.Read(ref longestLeaseWrite);
            while (ticks > seen && Interlocked.CompareExchange(ref longestLeaseWrite, ticks, seen) != seen)
                seen = Interlocked.Read(ref longestLeaseWrite);
        }

        // Null when no answer came (timed out, reset, refused).
        private async Task<HttpResponseMessage?> SendLeaseAsync(HttpMethod method, Uri url, string? body)
        {
            using var request = new HttpRequestMessage(method, url);
            if (body is not null)
                request.Content = new StringContent(body, Encoding.UTF8, method == HttpMethod.Put ? "text/plain" : "application/json");
            try
            {
                return await http.SendAsync(request);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                return null;
            }
        }

        /// <summary>
        /// Every linearizable read that found a lease's key alive later than the bound allows
        /// (see the header), for leases whose rate-limiting clock runs at <paramref name="slowestClockRate"/>
        /// of real time; and a line of what was checked.
        /// </summary>
        public (List<string> Faults, string Summary) CheckLeaseExpiry(double slowestClockRate)
        {
            var starts = leaderships.Values.Order().ToArray();
            var lag = (long)(LeaderMonitorLag.TotalSeconds * Stopwatch.Frequency);
            var commit = Math.Max((long)(LeaseCommitAllowance.TotalSeconds * Stopwatch.Frequency), 2 * Interlocked.Read(ref longestLeaseWrite));
            var allowed = (long)(((LeaseTtl + LeaseClockTick) / slowestClockRate).TotalSeconds * Stopwatch.Frequency) + commit;
            var faults = new List<string>();
            int granted = 0, tainted = 0, checkedLeases = 0, seenGone = 0;
            var longest = 0.0;
            foreach (var lease in leases.Where(static l => l.Id != 0))
            {
                granted++;
                if (lease.Tainted)
                {
                    tainted++;
                    continue;
                }

                checkedLeases++;
                if (lease.Observations.Any(static o => !o.Present))
                    seenGone++;
                foreach (var seen in lease.Observations.Where(static o => o.Present))
                {
                    var leading = starts.LastOrDefault(s => s <= seen.Answered + lag);
                    var from = Math.Max(lease.LastAcknowledged, leading);
                    longest = Math.Max(longest, (seen.Sent - lease.LastAcknowledged) / (double)Stopwatch.Frequency);
                    if (seen.Sent > from + allowed)
                        faults.Add(string.Create(CultureInfo.InvariantCulture, $"{lease.Key} (lease {lease.Id}): alive for a read sent {(seen.Sent - from) / (double)Stopwatch.Frequency:0.00} s after {(from == lease.LastAcknowledged ? "its last acknowledged keep-alive" : "the newest leadership began")} (member {seen.Member}); the bound is {allowed / (double)Stopwatch.Frequency:0.00} s"));
                }
            }

            var summary = string.Create(CultureInfo.InvariantCulture,
                $"{granted} leases granted, {tainted} left out (a keep-alive unanswered), {checkedLeases} checked, {seenGone} seen expired; {leaderships.Count} leaderships seen; longest a key was seen alive after its last keep-alive: {longest:0.00} s (bound {allowed / (double)Stopwatch.Frequency:0.00} s past the later of that and the newest leadership)");
            return (faults, summary);
        }
    }

    private sealed class LeaseRecord(string key, string value)
    {
        public string Key { get; } = key;

        public string Value { get; } = value;

        /// <summary>The lease's id; 0 until a grant was acknowledged.</summary>
        public long Id { get; set; }

        /// <summary>When the grant or the last keep-alive was answered 200/201 (Stopwatch ticks).</summary>
        public long LastAcknowledged { get; set; }

        /// <summary>A keep-alive went unanswered: it may have restarted the TTL at any time.</summary>
        public bool Tainted { get; set; }

        public ConcurrentBag<LeaseObservation> Observations { get; } = [];
    }

    private readonly record struct LeaseObservation(long Sent, long Answered, bool Present, int Member);
}

// Transactions and locks in the fault suite, under the same nemesis as the registers.
// Invariants of the recording:
//  - A compare-and-set is a transaction (POST /v1/txn) on a register: if the key holds the
//    value this workload last saw there (or is absent), put a new unique value. It is recorded
//    as Cas(expected -> new): Ok when "succeeded" is true, PreconditionFailed when false (nothing
//    written), unknown or discarded as any other write. The checker proves the registers with
//    their compare-and-sets linearizable, so a transaction decided on a stale state shows.
//  - A lock acquisition (POST /v1/locks/{name}) that answered 200 is kept with its fencing token
//    (the lock key's create revision) and the times it was sent and answered; the holder
//    releases at once. Create revisions follow the log, so one acquisition answered before
//    another was sent must have the smaller token: a later holder never gets a token that goes
//    back. Mutual exclusion itself is not checked: a holder cut off from the cluster loses the
//    lock when its lease expires, which is the documented behaviour.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Linearizability;

public sealed partial class LinearizabilityUnderFaultsTests
{
    private const int LockNames = 3;

    private sealed partial class Workload
    {
        // The value a read or an acknowledged write last showed for each register (null: absent),
        // the expected value of the next compare-and-set on it.
        private readonly ConcurrentDictionary<string, string?> lastSeen = new(StringComparer.Ordinal);

        private readonly ConcurrentBag<(int Lock, long Sent, long Answered, long Token, int Member)> acquisitions = [];

        /// <summary>Lock acquisitions that answered 200.</summary>
        public int LocksAcquired => acquisitions.Count;

        private Task CompareAndSetAsync(int clientId, int member, string key, string value)
        {
            var expected = lastSeen.GetValueOrDefault(key);
            var operation = recorder.Begin(clientId, key, KvInput.Cas(expected, value));
            Route(operation, member);
            var condition = expected is null
                ? new Dictionary<string, object> { ["key"] = key, ["target"] = "exists", ["op"] = "==", ["value"] = false }
                : new Dictionary<string, object> { ["key"] = key, ["target"] = "value", ["op"] = "==", ["value"] = expected };
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["if"] = new[] { condition },
                ["then"] = new[] { new Dictionary<string, object> { ["put"] = new Dictionary<string, string> { ["key"] = key, ["value"] = value } } },
            });
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Url(member), "v1/txn")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            return WriteAsync(operation, request, async response =>
            {
                if (response.StatusCode != HttpStatusCode.OK)
                    return null;
                using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                if (!answer.RootElement.GetProperty("succeeded").GetBoolean())
                    return Outcome.PreconditionFailed;
                lastSeen[key] = value;
                return Outcome.Ok;
            });
        }

        private async Task LockAsync(int member, int name)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsync(new Uri(cluster.Url(member), $"v1/locks/fenced-{name}?ttl=2s&timeout=2s"), content: null);
                var answered = Stopwatch.GetTimestamp();
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                Count("LOCK", status);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    NoteServerError("LOCK", $"fenced-{name}", status, text);
                    return;
                }

                using var held = JsonDocument.Parse(text);
                var key = held.RootElement.GetProperty("key").GetString()!;
                acquisitions.Add((name, sent, answered, held.RootElement.GetProperty("revision").GetInt64(), member));

                // Released at once; a release lost to a fault leaves the lock to its lease's expiry.
                using var released = await http.DeleteAsync(new Uri(cluster.Url(member), $"v1/locks/fenced-{name}/{Uri.EscapeDataString(key[(key.LastIndexOf('/') + 1)..])}"));
                Count("UNLOCK", (int)released.StatusCode);
                NoteServerError("UNLOCK", $"fenced-{name}", (int)released.StatusCode, await released.Content.ReadAsStringAsync());
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Count("LOCK", IsConnectionRefused(e) ? 0 : -1);
            }
        }

        /// <summary>Every pair of acquisitions of one lock where the later one's token is not above the earlier one's.</summary>
        public List<string> CheckFencingTokens()
        {
            var faults = new List<string>();
            foreach (var one in acquisitions.GroupBy(a => a.Lock))
            {
                var byAnswer = one.OrderBy(a => a.Answered).ToList();
                foreach (var later in one)
                {
                    var earlier = byAnswer.TakeWhile(a => a.Answered < later.Sent).ToList();
                    if (earlier.Count > 0 && earlier.MaxBy(a => a.Token) is var highest && highest.Token >= later.Token)
                        faults.Add(string.Create(CultureInfo.InvariantCulture, $"fenced-{one.Key}: token {later.Token} (member {later.Member}) was granted after token {highest.Token} (member {highest.Member}) had been answered"));
                }
            }

            return faults;
        }
    }
}

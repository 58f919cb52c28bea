// The fault-injection suite: concurrent clients read and write a three-member cluster through
// every member while a nemesis kill -9s the leader and restarts it, kill -9s a follower and
// restarts it, and freezes the leader with SIGSTOP until another member has been elected, then
// thaws it (SIGCONT) with its stale belief that it still leads. The recorded history must be
// linearizable (Wing-Gong/Lowe search per key, LinearizabilityChecker), and every write that
// was acknowledged must still be readable at the end. The same clients also append to S2
// streams with match_seq_num and read their tails (LinearizabilityUnderFaultsTests.Streams.cs),
// compare-and-set registers with transactions and take locks whose fencing tokens must grow
// (LinearizabilityUnderFaultsTests.TxnAndLocks.cs), and grant leases whose keys must be gone
// within the documented bound after their last keep-alive (LinearizabilityUnderFaultsTests.Leases.cs).
// Invariants of the recording (see HistoryRecorder):
//  - Every write carries a value no other write uses, so a read names the write it saw.
//  - A write is Ok only on 204; refused before any effect (connection refused, 503 without
//    outcomeUnknown, 507) it is discarded; anything else (timeouts, resets, 503 with
//    outcomeUnknown) is unknown: it may or may not have taken effect. "Refused" counts as never
//    sent only when no connection was ever made for the request (HttpClient may resend a
//    request that reached a member; see Workload.writes).
//  - Reads are linearizable (the default); consistency=local reads are never recorded.
//  - No 500 is ever acceptable; 503 is, while a leader is being replaced.
// The run is bounded: the nemesis schedule is fixed and every wait has a deadline.
// The same workload and checks run under network faults (LinearizabilityUnderFaultsTests.Network.cs).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Xunit.Abstractions;

namespace KvDb.Tests.Linearizability;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed partial class LinearizabilityUnderFaultsTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private const int RegisterKeys = 24;
    private static readonly string[] Flags = ["--election-timeout", "500ms", "--request-timeout", "3s"];

    [Fact]
    public async Task Histories_stay_linearizable_and_acknowledged_writes_survive_kills_restarts_and_a_paused_leader()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, Flags);
        await RunUnderNemesisAsync(cluster, note => KillRestartAndPauseAsync(cluster, note), () => { });
    }

    // The process nemesis: kill -9 and restart the leader, then a follower; SIGSTOP and SIGCONT the leader.
    private static async Task KillRestartAndPauseAsync(KvdbCluster cluster, Action<string> note)
    {
        // 1. kill -9 the leader; the others elect a new one; restart it.
        var leader = await cluster.WaitForLeaderAsync();
        note($"kill -9 leader {leader}");
        await cluster.Member(leader).KillAsync();
        note($"new leader {await cluster.WaitForLeaderAsync()}");
        await Task.Delay(TimeSpan.FromSeconds(1));
        cluster.Restart(leader);
        await cluster.WaitUntilMemberServesAsync(leader);
        note($"member {leader} restarted and serving");

        // 2. kill -9 a follower; restart it.
        leader = await cluster.WaitForLeaderAsync();
        var follower = new[] { 1, 2, 3 }.First(id => id != leader);
        note($"kill -9 follower {follower}");
        await cluster.Member(follower).KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        cluster.Restart(follower);
        await cluster.WaitUntilMemberServesAsync(follower);
        note($"member {follower} restarted and serving");

        // 3. SIGSTOP the leader past the election timeout: another member is elected while
        //    the frozen one still believes it leads; SIGCONT it and let clients use it.
        leader = await cluster.WaitForLeaderAsync();
        note($"SIGSTOP leader {leader}");
        cluster.Member(leader).Pause();
        note($"new leader {await cluster.WaitForLeaderAsync(except: leader)} while {leader} is paused");
        await Task.Delay(TimeSpan.FromSeconds(1));
        cluster.Member(leader).Resume();
        note($"SIGCONT member {leader}");
        await cluster.WaitUntilMemberServesAsync(leader);
    }

    /// <summary>
    /// Runs the clients' workload on <paramref name="cluster"/> while <paramref name="nemesis"/>
    /// injects its faults, then undoes them (<paramref name="undo"/>, also when the nemesis
    /// fails), stops the clients and checks the history and every acknowledged write.
    /// </summary>
    /// <param name="slowestClockRate">The rate of the slowest member clock against real time (below 1 when one is skewed slow), for the lease bound.</param>
    private async Task RunUnderNemesisAsync(KvdbCluster cluster, Func<Action<string>, Task> nemesis, Action undo, double slowestClockRate = 1.0)
    {
        var recorder = new HistoryRecorder();
        using var workload = new Workload(cluster, recorder);
        await workload.CreateStreamsAsync();
        var clock = Stopwatch.StartNew();
        void Note(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F2}s  {what}");

        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, Clients).Select(id => Task.Run(() => workload.RunClientAsync(id, stop.Token)))
            .Concat(Enumerable.Range(Clients, LeaseClients).Select(id => Task.Run(() => workload.RunLeaseClientAsync(id, stop.Token))))
            .Append(Task.Run(() => workload.WatchLeadershipsAsync(stop.Token)))
            .ToArray();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await nemesis(Note);
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            // On a loaded machine a fault can leave too little history to check: the clients go
            // on (faults healed) until they have more than the assertions below ask for.
            await Eventually.WaitUntilAsync(() => workload.HasEnoughHistory, "the clients to get enough writes, reads and S2 appends through",
                KvdbCluster.Patience, () => workload.Describe(recorder.History()), TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            foreach (var member in cluster.Members)
                member.Resume();
            undo();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }

        Note("clients stopped; final reads");
        await cluster.WaitForLeaderAsync();
        foreach (var id in new[] { 1, 2, 3 })
            await workload.ReadEveryKeyAsync(clientId: 100 + id, member: id);

        var history = recorder.History();
        var stats = workload.Describe(history);
        Note(stats);
        var fencing = workload.CheckFencingTokens();
        Note($"{workload.LocksAcquired} locks acquired");
        var (leaseFaults, leaseSummary) = workload.CheckLeaseExpiry(slowestClockRate);
        Note(leaseSummary);
        leaseFaults.Should().BeEmpty($"a key attached to a lease is gone for every linearizable read that starts later than the documented bound (docs/api/leases.md)\n{leaseSummary}");
        fencing.Should().BeEmpty($"a lock's fencing token (its key's create revision) never goes back from one holder to a later one\n{stats}");
        workload.ServerErrors.Should().BeEmpty("kvdb never answers 500; 503 is the only 5xx a client may see while a leader is replaced");
        history.Count(o => o.Input.IsWrite && o.Output.Kind == OutcomeKind.Ok).Should().BeGreaterThan(100, $"the clients must get writes through between the faults\n{stats}");
        history.Count(o => !o.Input.IsWrite).Should().BeGreaterThan(100, stats);

        var verdict = LinearizabilityChecker.Check(history, TimeSpan.FromSeconds(60));
        if (verdict.FoundViolation)
        {
            output.WriteLine(workload.DescribeRoutes(verdict.Explanation ?? "", history.Min(o => o.Call)));
            output.WriteLine(cluster.Describe());
        }
        verdict.FoundViolation.Should().BeFalse($"the history must be linearizable:\n{verdict.Explanation}");
        verdict.IsLinearizable.Should().BeTrue($"the checker must reach a verdict for every key:\n{verdict.Explanation}");

        var lost = await workload.FindLostWritesAsync();
        lost.Should().BeEmpty($"every acknowledged write to a write-once key must still be readable\n{cluster.Describe()}");
        var streamFaults = await workload.CheckStreamsAsync();
        streamFaults.Should().BeEmpty($"every acknowledged S2 append must be in its stream once, at the position acknowledged, on every member\n{cluster.Describe()}");
        history.Count(o => o.Key.StartsWith("stream:", StringComparison.Ordinal) && o.Input.IsWrite && o.Output.Kind == OutcomeKind.Ok).Should().BeGreaterThan(10, $"S2 appends must get through between the faults\n{stats}");
        Note($"checked {history.Count} operations over {history.Select(o => o.Key).Distinct().Count()} keys; {workload.WriteOnce.Count} acknowledged write-once keys and {workload.AcknowledgedRecords} acknowledged S2 records read back");
    }

    /// <summary>The clients' workload: registers read and overwritten by everyone, plus write-once keys.</summary>
    private sealed partial class Workload(KvdbCluster cluster, HistoryRecorder recorder) : IDisposable
    {
        private readonly HttpClient http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1), MaxConnectionsPerServer = 64 })
        {
            Timeout = TimeSpan.FromSeconds(4),
        };

        // HttpClient may resend a request on a new connection when the connection it went out on
        // closes before any answer (dotnet/runtime#86714): a write that reached a member just
        // before its kill -9 took effect, was resent, met "connection refused", and looked as if
        // it had never been sent. Writes therefore go over connections made for them alone, and
        // the connect callback marks a request once any connection for it was made: "refused"
        // means "never sent" only for a request that was never connected.
        private static readonly HttpRequestOptionsKey<StrongBox<bool>> Connected = new("kvdb-test-connected");

        private readonly HttpClient writes = new(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(1),
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                if (context.InitialRequestMessage.Options.TryGetValue(Connected, out var connected))
                    connected.Value = true;
                return new NetworkStream(socket, ownsSocket: true);
            },
        })
        {
            Timeout = TimeSpan.FromSeconds(4),
        };

        /// <summary>Write-once keys whose write was acknowledged, with the value written.</summary>
        public ConcurrentDictionary<string, string> WriteOnce { get; } = new(StringComparer.Ordinal);

        /// <summary>Answers with a 5xx other than 503 (and 507), which kvdb must never give.</summary>
        public ConcurrentBag<string> ServerErrors { get; } = [];

        private readonly ConcurrentDictionary<string, int> statuses = new(StringComparer.Ordinal);

        // Which member each operation was sent to and what came back, keyed like the history
        // (client and call time), so a violation report can say which member answered what.
        private readonly ConcurrentBag<(long Call, int Client, int Member, string Key, string Input)> routes = [];

        public void Dispose()
        {
            http.Dispose();
            writes.Dispose();
        }

        public async Task RunClientAsync(int clientId, CancellationToken stop)
        {
            var random = new Random(clientId * 7919 + 17);
            var tails = new long[Streams];
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                var member = 1 + random.Next(3);
                var roll = random.Next(100);
                if (roll < 33)
                    await PutAsync(clientId, member, $"reg/{random.Next(RegisterKeys)}", $"c{clientId}-{seq}");
                else if (roll < 43)
                    await PutAsync(clientId, member, $"once/c{clientId}/{seq}", $"c{clientId}-{seq}", writeOnce: true);
                else if (roll < 48)
                    await DeleteAsync(clientId, member, $"reg/{random.Next(RegisterKeys)}");
                else if (roll < 55)
                    await CompareAndSetAsync(clientId, member, $"reg/{random.Next(RegisterKeys)}", $"c{clientId}-{seq}");
                else if (roll < 58)
                    await LockAsync(member, random.Next(LockNames));
                else if (roll < 65)
                    await AppendAsync(clientId, member, random.Next(Streams), 1 + random.Next(3), seq, tails);
                else if (roll < 70)
                    await ReadTailAsync(clientId, member, random.Next(Streams), tails);
                else
                    await GetAsync(clientId, member, $"reg/{random.Next(RegisterKeys)}");
            }
        }

        public async Task ReadEveryKeyAsync(int clientId, int member)
        {
            for (var key = 0; key < RegisterKeys; key++)
            {
                // A final read must not be lost to a passing 503: retry until it answers.
                var name = $"reg/{key}";
                await Eventually.WaitUntilAsync(() => GetAsync(clientId, member, name), $"member {member} to answer the final read of {name}",
                    KvdbCluster.Patience, cluster.Describe, TimeSpan.FromMilliseconds(100));
            }
        }

        public async Task<List<string>> FindLostWritesAsync()
        {
            var lost = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(WriteOnce.Select((pair, i) => (pair.Key, pair.Value, Member: 1 + i % 3)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (write, _) =>
            {
                var seen = await cluster.GetAsync(write.Member, write.Key);
                if (seen != write.Value)
                    lost.Add($"{write.Key}: acknowledged {write.Value}, member {write.Member} reads {seen ?? "nothing"}");
            });
            return [.. lost];
        }

        private async Task PutAsync(int clientId, int member, string key, string value, bool writeOnce = false)
        {
            var operation = recorder.Begin(clientId, key, KvInput.Put(value));
            Route(operation, member);
            if (await WriteAsync(operation, new HttpRequestMessage(HttpMethod.Put, cluster.KeyUrl(member, key)) { Content = new StringContent(value) }))
            {
                lastSeen[key] = value;
                if (writeOnce)
                    WriteOnce[key] = value;
            }
        }

        private Task DeleteAsync(int clientId, int member, string key)
        {
            var operation = recorder.Begin(clientId, key, KvInput.Delete);
            Route(operation, member);
            return WriteAsync(operation, new HttpRequestMessage(HttpMethod.Delete, new Uri(cluster.Url(member), "v1/kv/" + Uri.EscapeDataString(key))));
        }

        // Returns true when the write was acknowledged. success reads a successful answer of a
        // write that has one (a transaction's "succeeded"); null leaves it to the cases below.
        private async Task<bool> WriteAsync(PendingOperation operation, HttpRequestMessage request, Func<HttpResponseMessage, Task<Outcome?>>? success = null)
        {
            using var _ = request;
            var method = request.Method.Method;
            var connected = new StrongBox<bool>();
            request.Options.Set(Connected, connected);
            try
            {
                using var response = await writes.SendAsync(request);
                var status = (int)response.StatusCode;
                Count(method, status);
                Answer(operation, status.ToString(CultureInfo.InvariantCulture));
                if (success is not null && await success(response) is { } outcome)
                {
                    operation.Complete(outcome);
                    return outcome == Outcome.Ok;
                }

                switch (response.StatusCode)
                {
                    // A delete of an absent key (404) is still a delete that took effect.
                    case HttpStatusCode.NoContent or HttpStatusCode.NotFound:
                        operation.Complete(Outcome.Ok);
                        return true;
                    case HttpStatusCode.ServiceUnavailable when !await IsOutcomeUnknownAsync(response):
                    case HttpStatusCode.InsufficientStorage:
                        Answer(operation, $"{status} {await response.Content.ReadAsStringAsync()}");
                        operation.Discard();
                        break;
                    default:
                        NoteServerError(method, operation.Key, status, await response.Content.ReadAsStringAsync());
                        operation.CompleteUnknown();
                        break;
                }
            }
            catch (HttpRequestException e) when (IsConnectionRefused(e) && !connected.Value)
            {
                // The member is down and no connection was ever made for this request: never sent.
                Count(method, 0);
                Answer(operation, "refused");
                operation.Discard();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or SocketException)
            {
                // Timed out (a paused member) or cut off (a killed one) after the request left,
                // or refused on a resend after the first attempt reached a member. (A connection
                // reset right after the connect callback surfaces as a bare SocketException.)
                Count(method, -1);
                Answer(operation, $"unknown ({e.GetType().Name}: {e.Message})");
                operation.CompleteUnknown();
            }

            return false;
        }

        // Returns true when the read got an answer (recorded), false when it must be retried.
        private async Task<bool> GetAsync(int clientId, int member, string key)
        {
            var operation = recorder.Begin(clientId, key, KvInput.Get);
            Route(operation, member);
            try
            {
                using var response = await http.GetAsync(cluster.KeyUrl(member, key));
                var status = (int)response.StatusCode;
                Count("GET", status);
                Answer(operation, status.ToString(CultureInfo.InvariantCulture));
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        var value = await response.Content.ReadAsStringAsync();
                        lastSeen[key] = value;
                        operation.Complete(Outcome.Found(value));
                        return true;
                    case HttpStatusCode.NotFound:
                        lastSeen[key] = null;
                        operation.Complete(Outcome.NotFound);
                        return true;
                    default:
                        NoteServerError("GET", key, status, await response.Content.ReadAsStringAsync());
                        operation.Discard();
                        return false;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Count("GET", IsConnectionRefused(e) ? 0 : -1);
                operation.Discard();
                return false;
            }
        }

        private readonly ConcurrentDictionary<(long Call, int Client), string> answers = new();

        private void Route(PendingOperation operation, int member)
            => routes.Add((operation.Call, operation.ClientId, member, operation.Key, operation.Input.ToString()));

        private void Answer(PendingOperation operation, string answer) => answers[(operation.Call, operation.ClientId)] = answer;

        /// <summary>For each key named in <paramref name="explanation"/>: every operation on it sent, with the member it went to.</summary>
        public string DescribeRoutes(string explanation, long origin)
        {
            var text = new System.Text.StringBuilder("Members that served the operations on the keys above (times as above):\n");
            foreach (var key in routes.Select(r => r.Key).Distinct().Where(k => explanation.Contains($"\"{k}\"", StringComparison.Ordinal)))
            {
                foreach (var route in routes.Where(r => r.Key == key).OrderBy(r => r.Call))
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {key}  +{(route.Call - origin) * 1000.0 / Stopwatch.Frequency:0.000}  client {route.Client} -> member {route.Member}: {route.Input} -> {answers.GetValueOrDefault((route.Call, route.Client), "?")}");
            }

            return text.ToString();
        }

        private void NoteServerError(string method, string key, int status, string body)
        {
            if (status >= 500 && status is not 503 and not 507)
                ServerErrors.Add($"{method} {key}: {status} {body}");
        }

        private static async Task<bool> IsOutcomeUnknownAsync(HttpResponseMessage response)
        {
            try
            {
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return !problem.RootElement.TryGetProperty("outcomeUnknown", out var unknown) || unknown.ValueKind is not JsonValueKind.False;
            }
            catch (JsonException)
            {
                return true;
            }
        }

        private static bool IsConnectionRefused(Exception e)
            => e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

        private void Count(string method, int status)
            => statuses.AddOrUpdate($"{method} {(status == 0 ? "refused" : status < 0 ? "timeout/reset" : status.ToString(CultureInfo.InvariantCulture))}", 1, static (_, n) => n + 1);

        /// <summary>Whether the answers so far are well past the least the checks ask for (100 writes, 100 reads, 10 S2 appends).</summary>
        public bool HasEnoughHistory
            => Answered("PUT 204", "DELETE 204", "DELETE 404", "POST 200") > 150 && Answered("GET 200", "GET 404") > 150 && Answered("APPEND 200") > 15;

        private int Answered(params string[] kinds) => kinds.Sum(kind => statuses.GetValueOrDefault(kind));

        public string Describe(IReadOnlyList<Operation> history)
            => $"{history.Count} operations recorded ({history.Count(o => o.Input.IsWrite && o.IsOutcomeUnknown)} writes of unknown outcome); answers: "
               + string.Join(", ", statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} x{p.Value}"));
    }
}

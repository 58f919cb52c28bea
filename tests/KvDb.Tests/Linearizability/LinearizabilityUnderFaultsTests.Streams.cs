// S2 appends in the fault suite: the same clients append to a few S2 streams (unary JSON, through
// any member) and read their tails, under the same nemesis as the registers.
// Invariants of the recording:
//  - Every append carries match_seq_num, so the history models a stream's tail as a register:
//    an append of k records with match_seq_num m is Cas(m -> m+k), answered Ok (200 with an ack
//    whose start is m) or PreconditionFailed (412 seq_num_mismatch: nothing written); a tail
//    read is a Get. Tail 0 is the absent value. The checker then proves the tails linearizable:
//    sequence numbers never go back and conditions are decided at one place in the log.
//  - Every record body is unique ("c{client}-{seq}-{i}"), so the final read names the append
//    each record came from; an append of unknown outcome may or may not be there, but only whole,
//    once, and where its match_seq_num put it.
//  - The final check reads each stream from 0 on every member: the members agree record for
//    record, every acknowledged append is at the position its ack named, and no body appears
//    twice or without an append that sent it.
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Linearizability;

public sealed partial class LinearizabilityUnderFaultsTests
{
    private const int Streams = 3;
    private const string Basin = "fault-basin";

    private sealed partial class Workload
    {
        // Every append sent: its first body names it; the stream, position and bodies it asked for.
        private readonly ConcurrentDictionary<string, (int Stream, long Match, string[] Bodies)> appendsSent = new(StringComparer.Ordinal);

        // Acknowledged appends: first body -> the start sequence number of the ack.
        private readonly ConcurrentDictionary<string, long> appendsAcknowledged = new(StringComparer.Ordinal);

        /// <summary>Records in acknowledged appends.</summary>
        public int AcknowledgedRecords => appendsAcknowledged.Keys.Sum(first => appendsSent[first].Bodies.Length);

        private static string StreamKey(int stream) => $"stream:{stream}";

        private static string? TailValue(long tail) => tail == 0 ? null : tail.ToString(CultureInfo.InvariantCulture);

        public async Task CreateStreamsAsync()
        {
            await SendSetupAsync(HttpMethod.Post, "v1/basins", $$"""{"basin": "{{Basin}}"}""", basin: null);
            for (var stream = 0; stream < Streams; stream++)
                await SendSetupAsync(HttpMethod.Post, "v1/streams", $$"""{"stream": "s{{stream}}"}""", Basin);
        }

        private async Task SendSetupAsync(HttpMethod method, string path, string body, string? basin)
        {
            await Eventually.WaitUntilAsync(
                async () =>
                {
                    using var request = new HttpRequestMessage(method, new Uri(cluster.Url(1), path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                    if (basin is not null)
                        request.Headers.Add("s2-basin", basin);
                    try
                    {
                        using var response = await http.SendAsync(request);
                        return response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK or HttpStatusCode.Conflict;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        return false;
                    }
                },
                $"{method} /{path} to succeed", KvdbCluster.Patience, cluster.Describe, TimeSpan.FromMilliseconds(100));
        }

        private async Task AppendAsync(int clientId, int member, int stream, int count, int seq, long[] tails)
        {
            var match = tails[stream];
            var bodies = Enumerable.Range(0, count).Select(i => $"c{clientId}-{seq}-{i}").ToArray();
            appendsSent[bodies[0]] = (stream, match, bodies);
            var records = string.Join(", ", bodies.Select(b => $$"""{"body": "{{b}}"}"""));
            var operation = recorder.Begin(clientId, StreamKey(stream), KvInput.Cas(TailValue(match), TailValue(match + count)!));
            Route(operation, member);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Url(member), $"v1/streams/s{stream}/records"))
            {
                Content = new StringContent($$"""{"records": [{{records}}], "match_seq_num": {{match}}}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("s2-basin", Basin);
            var connected = new StrongBox<bool>();
            request.Options.Set(Connected, connected);
            try
            {
                using var response = await writes.SendAsync(request);
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                Count("APPEND", status);
                Answer(operation, $"{status} {text}");
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        var start = JsonDocument.Parse(text).RootElement.GetProperty("start").GetProperty("seq_num").GetInt64();
                        appendsAcknowledged[bodies[0]] = start;
                        tails[stream] = start + count;

                        // An ack elsewhere than match_seq_num is recorded as it came: the final
                        // read reports it (and the checker most likely too).
                        operation.Complete(Outcome.Ok);
                        return;
                    case HttpStatusCode.PreconditionFailed:
                        tails[stream] = JsonDocument.Parse(text).RootElement.GetProperty("seq_num_mismatch").GetInt64();
                        operation.Complete(Outcome.PreconditionFailed);
                        return;
                    case HttpStatusCode.ServiceUnavailable when !await IsOutcomeUnknownAsync(response):
                    case HttpStatusCode.InsufficientStorage:
                        operation.Discard();
                        return;
                    default:
                        NoteServerError("APPEND", StreamKey(stream), status, text);
                        operation.CompleteUnknown();
                        return;
                }
            }
            catch (HttpRequestException e) when (IsConnectionRefused(e) && !connected.Value)
            {
                Count("APPEND", 0);
                Answer(operation, "refused");
                operation.Discard();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                Count("APPEND", -1);
                Answer(operation, $"unknown ({e.GetType().Name}: {e.Message})");
                operation.CompleteUnknown();
            }
        }

        private async Task ReadTailAsync(int clientId, int member, int stream, long[] tails)
        {
            var operation = recorder.Begin(clientId, StreamKey(stream), KvInput.Get);
            Route(operation, member);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Url(member), $"v1/streams/s{stream}/records/tail"));
            request.Headers.Add("s2-basin", Basin);
            try
            {
                using var response = await http.SendAsync(request);
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                Count("TAIL", status);
                Answer(operation, $"{status} {text}");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    NoteServerError("TAIL", StreamKey(stream), status, text);
                    operation.Discard();
                    return;
                }

                var tail = JsonDocument.Parse(text).RootElement.GetProperty("tail").GetProperty("seq_num").GetInt64();
                tails[stream] = tail;
                operation.Complete(Outcome.FromRead(TailValue(tail)));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Count("TAIL", IsConnectionRefused(e) ? 0 : -1);
                operation.Discard();
            }
        }

        /// <summary>Reads every stream from every member and says what breaks the invariants above.</summary>
        public async Task<List<string>> CheckStreamsAsync()
        {
            var faults = new List<string>();
            for (var stream = 0; stream < Streams; stream++)
            {
                var copies = new List<string>[3];
                for (var member = 1; member <= 3; member++)
                    copies[member - 1] = await ReadStreamAsync(member, stream);
                for (var member = 2; member <= 3; member++)
                {
                    if (!copies[member - 1].SequenceEqual(copies[0]))
                        faults.Add($"s{stream}: member {member} has [{string.Join(", ", copies[member - 1])}], member 1 [{string.Join(", ", copies[0])}]");
                }

                faults.AddRange(CheckStream(stream, copies[0]));
            }

            return faults;
        }

        private IEnumerable<string> CheckStream(int stream, List<string> records)
        {
            var position = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var seq = 0; seq < records.Count; seq++)
            {
                if (!position.TryAdd(records[seq], seq))
                    yield return $"s{stream}: {records[seq]} at {position[records[seq]]} and again at {seq}";
            }

            foreach (var (first, sent) in appendsSent.Where(a => a.Value.Stream == stream))
            {
                var acknowledged = appendsAcknowledged.TryGetValue(first, out var start);
                if (!position.TryGetValue(first, out var at))
                {
                    if (acknowledged)
                        yield return $"s{stream}: the append of [{string.Join(", ", sent.Bodies)}] was acknowledged at {start} and is lost";
                    continue;
                }

                if (at != sent.Match || (acknowledged && at != start))
                    yield return $"s{stream}: [{string.Join(", ", sent.Bodies)}] sent with match_seq_num {sent.Match}{(acknowledged ? $", acknowledged at {start}," : "")} is at {at}";
                for (var i = 0; i < sent.Bodies.Length; i++)
                {
                    if (at + i >= records.Count || records[at + i] != sent.Bodies[i])
                        yield return $"s{stream}: the append of [{string.Join(", ", sent.Bodies)}] is not whole at {at}";
                }
            }

            var sentBodies = appendsSent.Values.Where(a => a.Stream == stream).SelectMany(a => a.Bodies).ToHashSet(StringComparer.Ordinal);
            foreach (var record in records.Where(r => !sentBodies.Contains(r)))
                yield return $"s{stream}: {record} was never sent";
        }

        // Every record of stream s{stream} as member reads it (linearizable), paging up to 1,000 at a time.
        private async Task<List<string>> ReadStreamAsync(int member, int stream)
        {
            var records = new List<string>();
            while (true)
            {
                var atTail = false;
                JsonElement page = default;
                await Eventually.WaitUntilAsync(
                    async () =>
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Url(member), $"v1/streams/s{stream}/records?seq_num={records.Count}&count=1000"));
                        request.Headers.Add("s2-basin", Basin);
                        try
                        {
                            using var response = await http.SendAsync(request);
                            atTail = response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable;
                            if (atTail)
                                return true;
                            if (response.StatusCode != HttpStatusCode.OK)
                                return false;
                            page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                            return true;
                        }
                        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                        {
                            return false;
                        }
                    },
                    $"member {member} to read s{stream} from {records.Count}", KvdbCluster.Patience, cluster.Describe, TimeSpan.FromMilliseconds(100));
                // S2 answers a read that starts at the tail with 416 (and its tail).
                if (atTail)
                    return records;
                var batch = page.GetProperty("records");
                foreach (var record in batch.EnumerateArray())
                {
                    var seq = record.GetProperty("seq_num").GetInt64();
                    if (seq != records.Count)
                        throw new InvalidOperationException($"member {member} returned s{stream} record {seq} where {records.Count} was next");
                    records.Add(record.GetProperty("body").GetString()!);
                }
            }
        }
    }
}

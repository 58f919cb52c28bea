// A leader frozen with SIGSTOP past the election timeout, with writes waiting in its socket
// buffers, then thawed: it learns the new term a moment before it stops acting as leader. Any
// write it proposes in that moment must not take effect anywhere unless the new leader
// committed it, so afterwards every member reads the same value for every key.
// The race is narrow, so each round sends many writes at the frozen leader, and the test runs
// several rounds; without the fix (entries stamped with the current term instead of the
// leadership's) four runs in five failed, in their first or second round: the thawed leader had applied a write nobody else had.
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace KvDb.Tests.Raft;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DeposedLeaderTests
{
    private const int Rounds = 6;
    private const int WritesPerRound = 64;
    private static readonly string[] Flags = ["--election-timeout", "500ms", "--request-timeout", "3s"];

    // Shorter than the client's 6 s timeout, so a write is never given up on before it is waited for.
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_thawed_leader_never_applies_a_write_the_new_leader_did_not_commit()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, Flags);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(6) };
        for (var round = 0; round < Rounds; round++)
        {
            var old = await cluster.WaitForLeaderAsync();
            cluster.Member(old).Pause();
            var leader = await cluster.WaitForLeaderAsync(except: old);

            // Buffered by the frozen member's kernel; it reads them the moment it thaws.
            var bodies = Enumerable.Range(0, WritesPerRound).Select(i => new SentContent($"from-frozen-{round}-{i}")).ToArray();
            var writes = Enumerable.Range(0, WritesPerRound)
                .Select(i => SendIgnoringFailuresAsync(client, cluster.KeyUrl(old, $"r{round}-k{i}"), bodies[i]))
                .ToArray();
            // Thaw only once every request is in the frozen member's kernel: a write that arrives
            // after the thaw meets a member that already knows it was deposed, and the race this
            // test is about does not happen. The client's side is all that can be observed (the
            // frozen process cannot say what it has received), and on loopback a request written
            // to a connected socket is in the receiver's queue by the time the write returns.
            await Eventually.WaitUntilAsync(() => bodies.All(b => b.Sent.IsCompleted),
                $"round {round}: all {WritesPerRound} writes to be written to connections to frozen member {old}", SendTimeout,
                state: () => $"{bodies.Count(b => b.Sent.IsCompleted)} written, {writes.Count(w => w.IsCompleted)} finished\n{cluster.Describe()}");
            cluster.Member(old).Resume();
            await Task.WhenAll(writes);

            // A write through the new leader, read back on the old one: it has caught up.
            await cluster.PutWithRetryAsync(leader, $"fence-{round}", "x");
            await cluster.WaitForValueAsync(old, $"fence-{round}", "x");

            for (var i = 0; i < WritesPerRound; i++)
            {
                var key = $"r{round}-k{i}";
                var onLeader = await cluster.GetAsync(leader, key);
                var onOld = await cluster.GetAsync(old, key);
                onOld.Should().Be(onLeader, $"round {round}: member {old} (thawed) and member {leader} (leader) must agree on {key}\n{cluster.Describe()}");
            }
        }
    }

    private static async Task SendIgnoringFailuresAsync(HttpClient client, Uri url, SentContent body)
    {
        try
        {
            using var response = await client.PutAsync(url, body);
            response.StatusCode.Should().BeOneOf(HttpStatusCode.NoContent, HttpStatusCode.ServiceUnavailable);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Cut off or timed out while the member was frozen: the outcome is unknown, which
            // is fine; what matters is that the members agree afterwards.
        }
    }

    /// <summary>A text body that tells when HttpClient has written the whole request to a connected socket.</summary>
    private sealed class SentContent : HttpContent
    {
        private readonly byte[] bytes;
        private readonly TaskCompletionSource sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SentContent(string value)
        {
            bytes = Encoding.UTF8.GetBytes(value);
            Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        }

        public Task Sent => sent.Task;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes);
            // HttpClient may keep the headers and a small body in its own buffer; once this
            // flush returns, the kernel has the whole request on an established connection (the
            // frozen member's kernel completes the handshake from its listen backlog).
            await stream.FlushAsync();
            sent.TrySetResult();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}

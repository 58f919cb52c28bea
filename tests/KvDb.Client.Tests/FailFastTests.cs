// KvClientOptions.UnreachableTimeout and ConnectTimeout: an operation that reaches no member
// (connections refused, or not made within ConnectTimeout) gives up after UnreachableTimeout,
// and one whose member accepted (then timed out a try or answered 503) keeps its whole
// OperationTimeout. The long OperationTimeout against a short test deadline shows which limit
// ended it; the message says which.
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace KvDb.Client.Tests;

public sealed class FailFastTests
{
    // Well under the OperationTimeout below: an operation that waits that out fails the test.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Refused_connections_end_the_operation_after_UnreachableTimeout()
    {
        var closed = FreePorts.Take(2).Select(port => new Uri($"http://127.0.0.1:{port}")).ToArray();
        await using var client = new KvClient(new KvClientOptions { Endpoints = closed, OperationTimeout = Long, UnreachableTimeout = TimeSpan.FromMilliseconds(300), RetryDelay = TimeSpan.FromMilliseconds(20) });

        var failed = await FluentActions.Awaiting(() => client.GetAsync("k").AsTask().WaitAsync(Deadline)).Should().ThrowAsync<KvUnavailableException>();

        failed.Which.Message.Should().Contain("within 0.3 s, as none accepted a connection").And.Contain("refused");
    }

    [Fact]
    public async Task A_connection_not_made_within_ConnectTimeout_counts_as_unreachable()
    {
        // A listener that never accepts, its backlog full: a further connection is never made
        // (Linux drops the SYN; elsewhere it may be refused, which is unreachable too).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, FreePorts.Take(1)[0]));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var queued = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                queued.Add(socket);
                _ = socket.ConnectAsync(IPAddress.Loopback, port);
            }

            await using var client = new KvClient(new KvClientOptions
            {
                Endpoints = [new Uri($"http://127.0.0.1:{port}")],
                OperationTimeout = Long,
                RequestTimeout = Long,
                ConnectTimeout = TimeSpan.FromMilliseconds(200),
                UnreachableTimeout = TimeSpan.FromMilliseconds(500),
                RetryDelay = TimeSpan.FromMilliseconds(20),
            });

            var failed = await FluentActions.Awaiting(() => client.GetAsync("k").AsTask().WaitAsync(Deadline)).Should().ThrowAsync<KvUnavailableException>();

            failed.Which.Message.Should().Contain("as none accepted a connection");
        }
        finally
        {
            foreach (var socket in queued)
                socket.Dispose();
        }
    }

    [Theory]
    [InlineData("times out")]
    [InlineData("503")]
    public async Task A_member_that_accepted_keeps_the_whole_OperationTimeout_after_a_try_that(string firstTry)
    {
        var requests = 0;
        await using var member = await FakeMember.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref requests) > 1)
            {
                context.Response.Headers["X-Kvdb-Revision"] = "3";
                await context.Response.Body.WriteAsync("v"u8.ToArray());
            }
            else if (firstTry == "503")
            {
                // The member rests for Retry-After, well past the unreachable budget.
                context.Response.Headers.RetryAfter = "1";
                await FakeMember.ProblemAsync(context, 503, "Cluster unavailable", "no leader");
            }
            else
            {
                // Accepted, never answered: the try times out after the unreachable budget.
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
        });
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [member.Url],
            OperationTimeout = Long,
            // Only the try that never answers needs a short limit; a 503 try answers at once.
            RequestTimeout = firstTry == "503" ? Long : TimeSpan.FromMilliseconds(500),
            UnreachableTimeout = TimeSpan.FromMilliseconds(100),
            RetryDelay = TimeSpan.FromMilliseconds(20),
        });

        var entry = await client.GetAsync("k").AsTask().WaitAsync(Deadline);

        entry!.Revision.Should().Be(3);
        // On a loaded machine the answering try may itself outlast 500 ms and be tried once more:
        // what matters is that the operation went on past the unreachable budget.
        member.Requests.Should().HaveCountGreaterThanOrEqualTo(2);
    }
}

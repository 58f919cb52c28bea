// PeerNetwork on its own, with an echo server standing in for member 2's peer port and
// sockets bound to the members' source addresses standing in for members: the fault suite's
// verdicts are only worth as much as the faults really being applied, per directed link.
// The "nothing arrives while cut" checks wait a short while for an absence; every wait for
// something to arrive has a deadline.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KvDb.Tests.Linearizability;

public sealed class PeerNetworkTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Absence = TimeSpan.FromMilliseconds(300);
    private readonly PeerNetwork network = new();
    private readonly TcpListener server = new(IPAddress.Loopback, 0);
    private readonly List<string> received = [];
    private int advertised;

    public Task InitializeAsync()
    {
        server.Start();
        advertised = FreePorts.Take(1)[0];
        network.Add(2, advertised, ((IPEndPoint)server.LocalEndpoint).Port);
        _ = EchoAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await network.DisposeAsync();
        server.Stop();
    }

    public void Dispose() => server.Dispose();

    [Fact]
    public void Members_are_told_apart_by_their_source_address()
    {
        PeerNetwork.MemberAt(PeerNetwork.SourceAddress(3)).Should().Be(3);
        PeerNetwork.MemberAt(IPAddress.Loopback).Should().Be(0, "the test itself is no member");
    }

    [Fact]
    public async Task A_cut_link_holds_what_is_sent_until_healed_and_other_links_are_untouched()
    {
        using var member1 = await ConnectAsync(1);
        using var member3 = await ConnectAsync(3);
        network.Cut(1, 2);

        await SendAsync(member1, "from 1");
        await SendAsync(member3, "from 3");
        (await ReadAsync(member3)).Should().Be("from 3", "only the link 1->2 is cut");
        await Task.Delay(Absence);
        Received().Should().NotContain("from 1", $"1->2 is cut ({network.Describe()})");

        network.Heal();
        (await ReadAsync(member1)).Should().Be("from 1", "a healed link delivers what it held");
    }

    [Fact]
    public async Task A_one_way_cut_lets_requests_through_and_holds_the_answers()
    {
        using var member1 = await ConnectAsync(1);
        network.Cut(2, 1);

        await SendAsync(member1, "request");
        await Eventually.WaitUntilAsync(() => Received().Contains("request"), "the request to reach member 2 over 1->2", TimeSpan.FromSeconds(10), () => string.Join(", ", Received()));
        var answer = ReadAsync(member1);
        await Task.Delay(Absence);
        answer.IsCompleted.Should().BeFalse($"2->1 is cut, so member 1 never hears the answer ({network.Describe()})");

        network.Heal();
        (await answer).Should().Be("request");
    }

    [Fact]
    public async Task A_partition_cuts_both_ways_and_leaves_connections_from_non_members_alone()
    {
        using var member1 = await ConnectAsync(1);
        using var outsider = await ConnectAsync(0);
        network.Partition([1], [2, 3]);

        await SendAsync(member1, "across");
        await SendAsync(outsider, "outside");
        (await ReadAsync(outsider)).Should().Be("outside");
        await Task.Delay(Absence);
        Received().Should().NotContain("across");
        network.Describe().Should().Contain("1->2: cut").And.Contain("2->1: cut").And.Contain("3->1: cut");
    }

    [Fact]
    public async Task Total_loss_resets_the_connection()
    {
        using var member1 = await ConnectAsync(1);
        network.Lose(1, 2, 1.0);

        await SendAsync(member1, "lost");
        await Eventually.WaitUntilAsync(() => network.Resets == 1, "the proxy to give up on a chunk lost three times", TimeSpan.FromSeconds(10), network.Describe);
        Received().Should().NotContain("lost");
    }

    private List<string> Received()
    {
        lock (received)
            return [.. received];
    }

    // A client socket from member id's source address (0: from 127.0.0.1, no member) to member 2's proxy.
    private async Task<Socket> ConnectAsync(int id)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(id == 0 ? IPAddress.Loopback : PeerNetwork.SourceAddress(id), 0));
        await socket.ConnectAsync(IPAddress.Loopback, advertised);
        return socket;
    }

    private static async Task SendAsync(Socket socket, string line) => await socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), SocketFlags.None);

    private static async Task<string> ReadAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var text = new StringBuilder();
        var buffer = new byte[256];
        while (!text.ToString().EndsWith('\n'))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
                break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return text.ToString().TrimEnd('\n');
    }

    // Member 2's stand-in: records every line it receives and sends it back.
    private async Task EchoAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await server.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using var _ = connection;
                try
                {
                    while (await ReadAsync(connection) is { Length: > 0 } line)
                    {
                        lock (received)
                            received.Add(line);
                        await SendAsync(connection, line);
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The proxy reset or closed the connection.
                }
            });
        }
    }
}

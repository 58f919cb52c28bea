// The network between a test cluster's members, under the test's control (the fault suite's
// network nemesis): every member-to-member byte passes through an in-process TCP proxy that
// can cut, slow down or lose it, per directed link.
//
// How it sees each link: member j's URL in --cluster (and so in the replicated membership,
// which every member reads the same) is the address of a proxy; member j's peer port really
// listens on another port behind it (kvdb --peer-listen). A proxy alone knows where a
// connection goes but not who made it, so each member makes its peer connections from its own
// loopback address, 127.0.0.(10 + id) (kvdb --peer-source-address; Linux routes all of
// 127/8 to lo without set-up), and the proxy reads the sender off the connection's remote
// address. This covers every peer connection a member makes: DotNext's Raft messages and kvdb's
// own /internal/ calls (forwarded writes, read indices, snapshot archives) are both made by
// the handlers in Security/PeerHttpClients.cs. The alternatives were weighed and left:
//  - DotNext's X-Raft-Sender header names the sender of Raft messages only, not of kvdb's own
//    peer calls (read indices included), and would need an HTTP parser in the proxy;
//  - network namespaces and nftables need root and tools a fresh CI machine may lack, and would
//    have to route the test's clients into every namespace.
// Clients reach members' HTTP APIs (--port) directly: no fault here ever hides a member from
// clients, so "the leader cut off from its peers" is still reachable by them.
//
// Invariants:
//  - A directed link a->b carries every byte a sends to b: a's requests on a's connections to
//    b, and a's answers on b's connections to a. Cutting a->b alone (a one-way link) lets b's
//    requests reach a and take effect while b never hears back; with real TCP a cut would also
//    stop new handshakes, so this is the more adversarial of the two.
//  - A cut link holds the bytes (and the end of stream) it is given, in order, and delivers
//    them once healed, as TCP retransmission would after a partition: a member may receive a
//    long-stale request, which Raft must tolerate. Nothing is reordered within a connection.
//  - Delay holds each chunk for the delay (plus a random jitter) before passing it on; chunks
//    of one connection stay in order, different connections are delayed independently.
//  - Loss loses each chunk with the given probability; a lost chunk is sent again after a
//    retransmission timeout (200 ms, doubling), and the third loss in a row resets the
//    connection (both ends get RST), as a sender that gives up would.
//  - A connection from an address that is not a member's (the test itself) is never faulted.
//  - Heal restores every link; disposing closes every proxy and connection.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KvDb.Testing;

/// <summary>In-process proxies in front of every member's peer port, with faults per directed link.</summary>
public sealed class PeerNetwork : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(int From, int To), Link> links = new();
    private readonly ConcurrentDictionary<int, Proxy> proxies = new();
    private readonly ConcurrentDictionary<Connection, byte> connections = new();
    private readonly CancellationTokenSource closing = new();

    /// <summary>The loopback address member <paramref name="id"/> makes its peer connections from.</summary>
    public static IPAddress SourceAddress(int id) => new([127, 0, 0, checked((byte)(10 + id))]);

    /// <summary>The member whose source address <paramref name="address"/> is; 0 when none is.</summary>
    public static int MemberAt(IPAddress address)
    {
        var bytes = address.IsIPv4MappedToIPv6 ? address.MapToIPv4().GetAddressBytes() : address.GetAddressBytes();
        return bytes is [127, 0, 0, > 10 and var last] ? last - 10 : 0;
    }

    /// <summary>Starts the proxy for member <paramref name="id"/>: it listens on <paramref name="advertisedPort"/> and forwards to <paramref name="realPort"/>.</summary>
    public void Add(int id, int advertisedPort, int realPort)
    {
        var listener = new TcpListener(IPAddress.Loopback, advertisedPort);
        listener.Start(backlog: 512);
        var proxy = new Proxy(id, listener, realPort);
        if (!proxies.TryAdd(id, proxy))
            throw new InvalidOperationException($"Member {id} already has a proxy.");
        _ = AcceptAsync(proxy);
    }

    /// <summary>Cuts the link from <paramref name="from"/> to <paramref name="to"/> (one way).</summary>
    public void Cut(int from, int to) => Change(from, to, link => link.Down = true);

    /// <summary>Cuts every link between a member of one side and a member of another, both ways.</summary>
    public void Partition(params int[][] sides)
    {
        for (var s = 0; s < sides.Length; s++)
        {
            foreach (var a in sides[s])
            {
                foreach (var b in sides.Where((_, t) => t != s).SelectMany(side => side))
                    Cut(a, b);
            }
        }
    }

    /// <summary>Cuts <paramref name="id"/> off from every other member of <paramref name="members"/>, both ways.</summary>
    public void Isolate(int id, IEnumerable<int> members) => Partition([id], [.. members.Where(m => m != id)]);

    /// <summary>Holds each chunk sent from <paramref name="from"/> to <paramref name="to"/> for <paramref name="delay"/> plus up to <paramref name="jitter"/>.</summary>
    public void Delay(int from, int to, TimeSpan delay, TimeSpan jitter) => Change(from, to, link => (link.Delay, link.Jitter) = (delay, jitter));

    /// <summary>Loses each chunk sent from <paramref name="from"/> to <paramref name="to"/> with probability <paramref name="probability"/>.</summary>
    public void Lose(int from, int to, double probability)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(probability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        Change(from, to, link => link.Loss = probability);
    }

    /// <summary>Restores every link: held bytes flow again, no delay, no loss.</summary>
    public void Heal()
    {
        foreach (var link in links.Values)
            link.Update(l => (l.Down, l.Delay, l.Jitter, l.Loss) = (false, TimeSpan.Zero, TimeSpan.Zero, 0));
    }

    /// <summary>Every link that is not healthy, for log lines and assertion messages.</summary>
    public string Describe()
    {
        var faulty = links.Where(pair => pair.Value.IsFaulty).OrderBy(pair => pair.Key).Select(pair => $"{pair.Key.From}->{pair.Key.To}: {pair.Value}").ToList();
        return faulty.Count == 0 ? "all links healthy" : string.Join("; ", faulty);
    }

    /// <summary>How many connections the proxies have reset for loss (a check that loss was really applied).</summary>
    public int Resets => resets;

    private int resets;

    private void Change(int from, int to, Action<Link> change)
    {
        if (from == to)
            throw new ArgumentException($"A member has no link to itself ({from}).");
        Get(from, to).Update(change);
    }

    private Link Get(int from, int to) => links.GetOrAdd((from, to), static _ => new Link());

    private async Task AcceptAsync(Proxy proxy)
    {
        while (!closing.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await proxy.Listener.AcceptSocketAsync(closing.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(proxy, accepted);
        }
    }

    private async Task ServeAsync(Proxy proxy, Socket accepted)
    {
        accepted.NoDelay = true;
        var from = MemberAt(((IPEndPoint)accepted.RemoteEndPoint!).Address);
        var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new Connection(accepted, backend, CancellationTokenSource.CreateLinkedTokenSource(closing.Token));
        connections[connection] = 0;
        try
        {
            await backend.ConnectAsync(IPAddress.Loopback, proxy.RealPort, connection.Stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The member behind the proxy is down (killed, not started yet): the caller's
            // connection is closed, not reset. A reset that lands before SocketsHttpHandler has
            // read the connection's remote address surfaces as a bare SocketException (ENOTCONN)
            // that DotNext does not expect ("Transition to candidate state has failed"), and a
            // real member that is down refuses the connection rather than resetting it.
            connections.TryRemove(connection, out _);
            try
            {
                accepted.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // The caller has gone already.
            }

            connection.Dispose();
            return;
        }

        try
        {
            var forward = from == 0 ? null : Get(from, proxy.Id);
            var back = from == 0 ? null : Get(proxy.Id, from);
            await Task.WhenAll(PumpAsync(accepted, backend, forward, connection), PumpAsync(backend, accepted, back, connection));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            connection.Reset();
        }
        finally
        {
            connections.TryRemove(connection, out _);
            connection.Dispose();
        }
    }

    // Copies source to target through link (null: unfaulted) until the source ends; then ends the target's send side.
    private async Task PumpAsync(Socket source, Socket target, Link? link, Connection connection)
    {
        var buffer = new byte[16 * 1024];
        var token = connection.Stop.Token;
        try
        {
            while (true)
            {
                var read = await source.ReceiveAsync(buffer, SocketFlags.None, token);
                if (link is not null)
                    await PassAsync(link, token);
                if (read == 0)
                {
                    target.Shutdown(SocketShutdown.Send);
                    return;
                }

                for (var sent = 0; sent < read;)
                    sent += await target.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // One direction failed (a member killed, the connection lost to loss): the whole connection goes.
            connection.Reset();
        }
    }

    // Waits until link lets one chunk through: while it is cut, for its delay, and for each loss.
    private async Task PassAsync(Link link, CancellationToken token)
    {
        var retransmission = TimeSpan.FromMilliseconds(200);
        for (var losses = 0; ; losses++)
        {
            var (down, changed, delay, jitter, loss) = link.Snapshot();
            if (down)
            {
                await changed.WaitAsync(token);
                losses--;
                continue;
            }

            if (delay + jitter > TimeSpan.Zero)
                await Task.Delay(delay + jitter * Random.Shared.NextDouble(), token);
            if (loss <= 0 || Random.Shared.NextDouble() >= loss)
                return;
            if (losses == 2)
            {
                Interlocked.Increment(ref resets);
                throw new IOException("Chunk lost three times in a row: the proxy resets the connection.");
            }

            await Task.Delay(retransmission, token);
            retransmission *= 2;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await closing.CancelAsync();
        foreach (var proxy in proxies.Values)
            proxy.Listener.Stop();
        foreach (var connection in connections.Keys)
            connection.Reset();
        closing.Dispose();
    }

    private sealed record Proxy(int Id, TcpListener Listener, int RealPort);

    // One proxied connection: the member's socket, the socket to the real peer port, and what stops both.
    private sealed class Connection(Socket accepted, Socket backend, CancellationTokenSource stop) : IDisposable
    {
        public CancellationTokenSource Stop { get; } = stop;

        // Aborts both ends with RST (linger 0), so neither member waits for a graceful close.
        public void Reset()
        {
            foreach (var socket in (Socket[])[accepted, backend])
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Never connected, or already closed.
                }

                socket.Dispose();
            }

            try
            {
                Stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            accepted.Dispose();
            backend.Dispose();
            Stop.Dispose();
        }
    }

    // The state of one directed link; a change completes the task waiters on the old state hold.
    private sealed class Link
    {
        private readonly Lock gate = new();
        private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Down { get; set; }

        public TimeSpan Delay { get; set; }

        public TimeSpan Jitter { get; set; }

        public double Loss { get; set; }

        public bool IsFaulty
        {
            get
            {
                lock (gate)
                    return Down || Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero || Loss > 0;
            }
        }

        public (bool Down, Task Changed, TimeSpan Delay, TimeSpan Jitter, double Loss) Snapshot()
        {
            lock (gate)
                return (Down, changed.Task, Delay, Jitter, Loss);
        }

        public void Update(Action<Link> change)
        {
            TaskCompletionSource old;
            lock (gate)
            {
                change(this);
                old = changed;
                changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            old.SetResult();
        }

        public override string ToString()
        {
            lock (gate)
            {
                var text = new StringBuilder();
                if (Down)
                    text.Append("cut ");
                if (Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero)
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $"delay {Delay.TotalMilliseconds}+{Jitter.TotalMilliseconds}ms ");
                if (Loss > 0)
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $"loss {Loss:P0} ");
                return text.ToString().TrimEnd();
            }
        }
    }
}

// Whether a member's peer port accepts connections right now: a TCP connect, nothing more.
// The host name of the URL is resolved asynchronously at each probe, so a name that did not
// resolve a moment ago (a member still being scheduled, a DNS record not yet published) is
// tried again next time instead of being remembered as unreachable.
using System.Net;
using System.Net.Sockets;

namespace KvDb.Node.Membership;

/// <summary>Checks that a peer's port is listening.</summary>
public static class PeerProbe
{
    /// <summary>True when a TCP connection to the host and port of <paramref name="peerUrl"/> opens within <paramref name="timeout"/>.</summary>
    public static async Task<bool> IsReachableAsync(string peerUrl, TimeSpan timeout, CancellationToken token)
    {
        var uri = new Uri(peerUrl);
        EndPoint endPoint = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)
            ? new IPEndPoint(address, uri.Port)
            : new DnsEndPoint(uri.Host, uri.Port);
        using var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !token.IsCancellationRequested))
        {
            return false;
        }
    }
}

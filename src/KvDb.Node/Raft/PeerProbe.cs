// Whether a member's Raft port accepts connections right now: a TCP connect, nothing more.
using System.Net;
using System.Net.Sockets;

namespace KvDb.Node.Raft;

/// <summary>Checks that a peer's Raft endpoint is listening.</summary>
public static class PeerProbe
{
    /// <summary>True when a TCP connection to <paramref name="endPoint"/> opens within <paramref name="timeout"/>.</summary>
    public static async Task<bool> IsReachableAsync(EndPoint endPoint, TimeSpan timeout, CancellationToken token)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
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

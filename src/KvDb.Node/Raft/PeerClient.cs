// The HTTP client a member calls other members' peer ports with (forwarded writes, read
// indices, snapshot archives). DotNext's Raft messages use clients of their own.
// Invariants: one connection pool per process, so calls to the leader reuse warm connections;
// no overall timeout here (a snapshot fetch may take long): each caller bounds its own call
// with its cancellation token. The handler comes from IHttpMessageHandlerFactory under
// HandlerName, where TLS and the peer proof are added (Security/PeerHttpClients).
namespace KvDb.Node.Raft;

/// <summary>The shared HTTP client for member-to-member calls.</summary>
public sealed class PeerClient(IHttpMessageHandlerFactory handlers) : IDisposable
{
    /// <summary>The name of this client's handler in IHttpMessageHandlerFactory.</summary>
    public const string HandlerName = "kvdb-peer";

    /// <summary>The client; requests are HTTP/1.1, the protocol the peer port serves.</summary>
    public HttpClient Http { get; } = new(handlers.CreateHandler(HandlerName), disposeHandler: false)
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The transport under the handler: pooled connections, a short connect timeout.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        MaxConnectionsPerServer = 64,
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };

    /// <inheritdoc/>
    public void Dispose() => Http.Dispose();
}

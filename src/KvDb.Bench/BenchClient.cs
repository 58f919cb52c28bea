// Sends benchmark requests and turns each into an outcome. One SocketsHttpHandler pools
// connections for all endpoints. Over HTTP/1.1 it may open as many per endpoint as workers use
// it, so no worker ever waits for a connection; over HTTP/2 the workers of an endpoint share a
// connection, and another opens when one reaches the server's stream limit. Invariants:
//  - Every request goes with --http-version exactly: a server that cannot speak it fails the
//    request rather than measuring another protocol.
//  - SendAsync never throws for a failed request: every failure becomes an error kind
//    ("http NNN", "timeout", "connection", "tls" for a refused handshake, or the exception's
//    type) so it can be counted.
//  - The whole response body is read (into the worker's buffer) before the response is
//    disposed, so the connection goes back to the pool ready for the next request.
//  - No proxy, no redirects, no cookies, no decompression: nothing between the bench and the
//    server, and nothing that costs time per request besides HTTP itself.
//  - Only in watch mode is a successful put's revision read from its answer; otherwise a
//    result's Revision is 0 and the answer's headers are not looked at.
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace KvDb.Bench;

/// <summary>The outcome of one request, for an error its kind, and in watch mode a successful put's revision (else 0).</summary>
public readonly record struct RequestResult(RequestOutcome Outcome, string? Error, long Revision = 0);

/// <summary>Issues benchmark requests for workers.</summary>
public sealed class BenchClient : IDisposable
{
    // "http 503" etc. are made once per status code rather than per failed request.
    private static readonly string[] StatusNames = Enumerable.Range(0, 600).Select(code => $"http {code}").ToArray();

    private readonly HttpMessageInvoker invoker;
    private readonly BenchProtocol protocol;
    private readonly TimeSpan timeout;
    private readonly string? authorization;
    private readonly bool readRevisions;
    private readonly Version version;
    private readonly string? idempotencyPrefix;
    private long idempotencyCounter;

    /// <summary>A client for <paramref name="options"/>' endpoints speaking <paramref name="protocol"/>.</summary>
    public BenchClient(BenchOptions options, BenchProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(protocol);
        this.protocol = protocol;
        timeout = options.Timeout;
        var connectionsPerEndpoint = 1;
        for (var e = 0; e < options.Endpoints.Count; e++)
            connectionsPerEndpoint = Math.Max(connectionsPerEndpoint, options.WorkersOn(e));

        authorization = options.Authorization;
        readRevisions = options.Watchers > 0;
        version = options.RequestVersion;
        idempotencyPrefix = options.IdempotencyKeys ? "bench-" + Guid.NewGuid().ToString("N")[..12] + "-" : null;
        invoker = new HttpMessageInvoker(NewHandler(options, connectionsPerEndpoint), disposeHandler: true);
    }

    /// <summary>A handler as the bench's requests need it (no proxy, redirects, cookies or decompression; --cacert trusted), allowed <paramref name="connectionsPerServer"/> connections to each server.</summary>
    public static SocketsHttpHandler NewHandler(BenchOptions options, int connectionsPerServer)
    {
        ArgumentNullException.ThrowIfNull(options);
        return NewHandler(options.Timeout, options.TrustedCa, connectionsPerServer);
    }

    /// <summary>A handler as the bench's requests need it, connecting within <paramref name="connectTimeout"/> and trusting <paramref name="trustedCa"/> (null: the system's roots).</summary>
    public static SocketsHttpHandler NewHandler(TimeSpan connectTimeout, X509Certificate2Collection? trustedCa, int connectionsPerServer)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = connectionsPerServer,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = connectTimeout,
            EnableMultipleHttp2Connections = true,
        };
        if (trustedCa is { } trust)
        {
            // The server's chain must end in --cacert (and name the endpoint's host, which
            // SslStream checks on its own): the machine's roots are not consulted.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(trust);
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }

        return handler;
    }

    /// <summary>Sends the protocol's set-up requests; a message for the first that failed, or null.</summary>
    public async Task<string?> SetupAsync(OperationMix mix, CancellationToken token)
    {
        foreach (var request in protocol.Setup(mix))
        {
            using (request)
            {
                request.Version = version;
                if (authorization is not null)
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                try
                {
                    using var response = await invoker.SendAsync(request, token).ConfigureAwait(false);
                    if ((int)response.StatusCode >= 500)
                        return $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}";
                }
                catch (HttpRequestException e)
                {
                    return $"{request.Method} {request.RequestUri} failed: {e.Message}";
                }
            }
        }

        return null;
    }

    /// <summary>Sends <paramref name="kind"/> on <paramref name="key"/> for <paramref name="worker"/> and waits for the whole answer.</summary>
    public async ValueTask<RequestResult> SendAsync(BenchWorker worker, OperationKind kind, int key)
    {
        // Not disposed: disposing would only dispose the worker's reusable body.
        var request = protocol.CreateRequest(kind, key, worker.Endpoint, worker.Body(kind));
        request.Version = version;
        if (idempotencyPrefix is not null && kind is OperationKind.Put)
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyPrefix + Interlocked.Increment(ref idempotencyCounter).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var token = worker.Timeout.Token;
        worker.Timeout.CancelAfter(timeout);
        // After an exception the abandoned request may still hold the worker's body; the worker
        // then swaps in fresh ones (an error status is a finished request and needs no swap).
        var abandoned = true;
        RequestResult result;
        try
        {
            using var response = await invoker.SendAsync(request, token).ConfigureAwait(false);
            var prefix = await ReadBodyAsync(response, worker.Buffer, token).ConfigureAwait(false);
            var outcome = protocol.Classify(kind, response.StatusCode, worker.Buffer.AsSpan(0, prefix));
            abandoned = false;
            var revision = readRevisions && kind is OperationKind.Put && outcome is RequestOutcome.Success ? protocol.Revision(response) : 0;
            result = new RequestResult(outcome, outcome is RequestOutcome.Error ? StatusName((int)response.StatusCode) : null, revision);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            result = new RequestResult(RequestOutcome.Error, "timeout");
        }
        catch (HttpRequestException e)
        {
            result = new RequestResult(RequestOutcome.Error, Describe(e));
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            result = new RequestResult(RequestOutcome.Error, "connection");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Counted and shown by type rather than ending the run: a benchmark should report
            // what went wrong alongside what it measured.
            result = new RequestResult(RequestOutcome.Error, "error: " + e.GetType().Name);
        }
        finally
        {
            worker.AfterRequest(abandoned);
        }

        return result;
    }

    // Reads the body to its end; returns how many bytes of its head are in buffer[..Prefix].
    private static async ValueTask<int> ReadBodyAsync(HttpResponseMessage response, byte[] buffer, CancellationToken token)
    {
        var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var prefix = 0;
            while (true)
            {
                var into = prefix < BenchWorker.Prefix ? buffer.AsMemory(prefix, BenchWorker.Prefix - prefix) : buffer.AsMemory(BenchWorker.Prefix);
                var read = await stream.ReadAsync(into, token).ConfigureAwait(false);
                if (read == 0)
                    return prefix;
                if (prefix < BenchWorker.Prefix)
                    prefix += read;
            }
        }
    }

    private static string StatusName(int code) => code >= 0 && code < StatusNames.Length ? StatusNames[code] : $"http {code}";

    private static string Describe(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.SecureConnectionError => "tls",
        HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError => "connection",
        HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse => "connection",
        _ when e.InnerException is IOException or SocketException => "connection",
        _ => "http error: " + e.HttpRequestError,
    };

    /// <inheritdoc/>
    public void Dispose() => invoker.Dispose();
}

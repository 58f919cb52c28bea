// How `kvdb bench s2` talks to S2's API: every request over HTTP/2 (cleartext with prior
// knowledge on http://, ALPN on https://), the REST calls that set up and tear down the basin
// and its streams, and a request body that stays open for an append session's frames.
// Invariants:
//  - Requests carry the Authorization of --token/--user and, for stream routes, s2-basin.
//  - Nothing between the bench and the server: no proxy, redirects, cookies or decompression
//    (s2s frames are never compressed because the bench sends no Accept-Encoding).
//  - A set-up call that fails is an S2BenchException naming the call and S2's answer.
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace KvDb.Bench;

/// <summary>A failure that ends a <c>kvdb bench s2</c> run (setting up, or opening a session).</summary>
public sealed class S2BenchException : Exception
{
    /// <summary>A failure described by <paramref name="message"/>.</summary>
    public S2BenchException(string message)
        : base(message)
    {
    }

    /// <summary>A failure described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public S2BenchException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>An unspecified failure.</summary>
    public S2BenchException()
    {
    }
}

/// <summary>HTTP/2 requests to S2's API.</summary>
internal sealed class S2Http : IDisposable
{
    private readonly HttpMessageInvoker invoker;
    private readonly string? authorization;
    private readonly TimeSpan timeout;

    public S2Http(S2BenchOptions options)
    {
        var handler = BenchClient.NewHandler(options.Timeout, options.TrustedCa, 1);
        // Sessions are HTTP/2 streams; more than one connection per member once a connection's
        // stream limit is reached.
        handler.EnableMultipleHttp2Connections = true;
        invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        authorization = options.Authorization;
        timeout = options.Timeout;
    }

    /// <summary>A request for <paramref name="uri"/>, with s2-basin when <paramref name="basin"/> is given.</summary>
    public HttpRequestMessage Request(HttpMethod method, Uri uri, string? basin)
    {
        var request = new HttpRequestMessage(method, uri) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (basin is not null)
            request.Headers.TryAddWithoutValidation("s2-basin", basin);
        return request;
    }

    /// <summary>Sends <paramref name="request"/>; the answer comes back once its headers have.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel) => invoker.SendAsync(request, cancel);

    /// <summary>Sends a REST call with a JSON body (or none) and expects <paramref name="expected"/>.</summary>
    /// <exception cref="S2BenchException">Another status, or no answer within --timeout.</exception>
    public async Task CallAsync(HttpMethod method, Uri uri, string? basin, string? json, HttpStatusCode expected, CancellationToken cancel)
    {
        using var request = Request(method, uri, basin);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await invoker.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if (response.StatusCode != expected)
                throw new S2BenchException($"{method} {uri} answered {(int)response.StatusCode}: {await TextAsync(response, deadline.Token).ConfigureAwait(false)}");
        }
        catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new S2BenchException($"{method} {uri} got no answer within {timeout.TotalSeconds:0.#}s", e);
        }
        catch (HttpRequestException e)
        {
            throw new S2BenchException($"{method} {uri} failed: {e.Message}", e);
        }
    }

    /// <summary>The start of a response body as one line of text, for an error message.</summary>
    public static async Task<string> TextAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length > 300 ? text[..300] + "..." : text;
    }

    public void Dispose() => invoker.Dispose();
}

/// <summary>A request body that stays open, for an append session: frames are written to <see cref="Stream"/> as they are made, until <see cref="Finish"/>.</summary>
internal sealed class S2sRequestBody : HttpContent
{
    private readonly TaskCompletionSource<Stream> opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public S2sRequestBody() => Headers.ContentType = new MediaTypeHeaderValue(S2sCodec.MediaType);

    /// <summary>The request's body stream, once the handler has started sending the body.</summary>
    public Task<Stream> Stream => opened.Task;

    /// <summary>Ends the body (the server then answers what it has read and ends the session).</summary>
    public void Finish() => finished.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        opened.TrySetResult(stream);
        return finished.Task;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        opened.TrySetResult(stream);
        return finished.Task.WaitAsync(cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

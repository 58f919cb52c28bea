// One HTTP/1.1 exchange on a fresh connection, sent byte for byte: what the route fuzz sends is
// exactly what the member receives (HttpClient would normalise targets, refuse odd headers and
// fix Content-Length), and the answer is read with deadlines, so a stream (watch, follow,
// observe) or a blocking wait (lock, campaign, ?index=) cannot hang the fuzz.
// Invariants:
//  - Every request says Connection: close, so a complete answer ends at EOF and no connection
//    is shared between requests.
//  - The deadlines are the client's own patience, never an assertion about the member's speed:
//    a header deadline that runs out throws RawHttpTimeoutException, and the caller decides
//    whether waiting was a legitimate answer for that request.
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace KvDb.Tests.Security;

/// <summary>An answer read by <see cref="RawHttpExchange"/>.</summary>
/// <param name="Status">The status code.</param>
/// <param name="Headers">The header fields in the order received.</param>
/// <param name="Body">The body (de-chunked); only its start when <paramref name="BodyCut"/>.</param>
/// <param name="BodyCut">True when the client stopped reading a streamed body (its budget ran out).</param>
public sealed record RawHttpResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, bool BodyCut)
{
    /// <summary>The first value of header <paramref name="name"/>, or null.</summary>
    public string? Header(string name)
        => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The media type of Content-Type without parameters, lower case; "" when there is none.</summary>
    public string MediaType => (Header("Content-Type") ?? "").Split(';')[0].Trim().ToLowerInvariant();

    /// <summary>The body as UTF-8 text (invalid bytes replaced).</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>The client's deadline ran out before the answer (or its status line and headers) arrived.</summary>
public sealed class RawHttpTimeoutException(string message) : Exception(message)
{
}

/// <summary>Sends one raw HTTP/1.1 request and reads its answer.</summary>
public static class RawHttpExchange
{
    private const int MaxHeadBytes = 256 * 1024;
    private const int MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>How long a complete, non-streamed answer may take to arrive after its headers.</summary>
    private static readonly TimeSpan BodyPatience = TimeSpan.FromSeconds(60);

    /// <summary>What to send and how long to listen.</summary>
    /// <param name="Method">The method token, sent as is.</param>
    /// <param name="Target">The request target, sent as is.</param>
    /// <param name="Headers">Header fields, sent as is (Latin-1), after Host and Connection.</param>
    /// <param name="Body">The body, or null for none.</param>
    /// <param name="DeclaredLength">Content-Length to declare instead of the body's (a lie), or null.</param>
    /// <param name="ShutdownAfterBody">Half-close the connection after the body (with a longer declared length: the body ends early).</param>
    /// <param name="HeaderPatience">How long to wait for the status line and headers.</param>
    /// <param name="StreamBudget">How long to read a 2xx body of unknown length (a stream) before stopping.</param>
    public sealed record Request(
        string Method,
        string Target,
        IReadOnlyList<KeyValuePair<string, string>> Headers,
        byte[]? Body,
        long? DeclaredLength,
        bool ShutdownAfterBody,
        TimeSpan HeaderPatience,
        TimeSpan StreamBudget);

    /// <summary>Sends <paramref name="request"/> to <paramref name="server"/> on a new connection.</summary>
    /// <exception cref="RawHttpTimeoutException">No status line and headers within the header patience.</exception>
    /// <exception cref="IOException">The connection failed or closed before a status line.</exception>
    public static async Task<RawHttpResponse> SendAsync(Uri server, Request request)
    {
        using var tcp = new TcpClient { NoDelay = true };
        using (var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await tcp.ConnectAsync(server.Host, server.Port, connecting.Token);
        var stream = tcp.GetStream();

        var head = new StringBuilder();
        head.Append(request.Method).Append(' ').Append(request.Target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(server.Host).Append(':').Append(server.Port.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        head.Append("Connection: close\r\n");
        foreach (var (name, value) in request.Headers)
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        var length = request.DeclaredLength ?? request.Body?.Length;
        if (length is not null)
            head.Append("Content-Length: ").Append(length.Value.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        head.Append("\r\n");

        try
        {
            using var writing = new CancellationTokenSource(BodyPatience);
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), writing.Token);
            if (request.Body is { Length: > 0 } body)
                await stream.WriteAsync(body, writing.Token);
            if (request.ShutdownAfterBody)
                tcp.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // A member may answer (413, 400) and close before reading everything; read what it said.
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int headEnd;
        int status;
        string[] lines;
        byte[] all;
        using (var waiting = new CancellationTokenSource(request.HeaderPatience))
        {
            while (true)
            {
                while ((headEnd = IndexOfHeadEnd(buffer)) < 0)
                {
                    int read;
                    try
                    {
                        read = await stream.ReadAsync(chunk, waiting.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new RawHttpTimeoutException($"no status line and headers within {request.HeaderPatience.TotalSeconds:0.#} s");
                    }

                    if (read == 0)
                        throw new IOException($"the connection closed after {buffer.Length} bytes, before a complete status line and headers");
                    buffer.Write(chunk, 0, read);
                    if (buffer.Length > MaxHeadBytes)
                        throw new IOException($"more than {MaxHeadBytes} bytes without the end of the headers");
                }

                all = buffer.ToArray();
                lines = Encoding.Latin1.GetString(all, 0, headEnd).Split("\r\n");
                var statusParts = lines[0].Split(' ', 3);
                if (statusParts.Length < 2 || !statusParts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(statusParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out status))
                    throw new IOException($"not an HTTP/1.x status line: '{lines[0]}'");
                if (status is not (>= 100 and < 200) || status == 101)
                    break;

                // An interim answer (100 Continue to Expect: 100-continue): the final one follows.
                buffer = new MemoryStream();
                buffer.Write(all, headEnd + 4, all.Length - headEnd - 4);
            }
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
                headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        var response = new RawHttpResponse(status, headers, [], false);
        if (request.Method == "HEAD" || status is (>= 100 and < 200) or 204 or 304)
            return response;

        var received = new MemoryStream();
        received.Write(all, headEnd + 4, all.Length - headEnd - 4);
        var chunked = response.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
        long? contentLength = long.TryParse(response.Header("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var declared) ? declared : null;

        // A 2xx of unknown length may be a stream that never ends: read it for the budget only.
        // Anything else ends (Connection: close), and not ending is worth failing for.
        var streamed = status is >= 200 and < 300 && contentLength is null;
        var cut = false;
        using (var reading = new CancellationTokenSource(streamed ? request.StreamBudget : BodyPatience))
        {
            while (received.Length < MaxBodyBytes && (contentLength is null || received.Length < contentLength))
            {
                int read;
                try
                {
                    read = await stream.ReadAsync(chunk, reading.Token);
                }
                catch (OperationCanceledException) when (streamed)
                {
                    cut = true;
                    break;
                }
                catch (OperationCanceledException)
                {
                    throw new RawHttpTimeoutException($"status {status} arrived, but its body did not end within {BodyPatience.TotalSeconds:0} s ({received.Length} bytes read)");
                }

                if (read == 0)
                    break;
                received.Write(chunk, 0, read);
            }
        }

        var raw = received.ToArray();
        return response with { Body = chunked ? Dechunk(raw) : raw, BodyCut = cut || received.Length >= MaxBodyBytes };
    }

    private static int IndexOfHeadEnd(MemoryStream buffer)
    {
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        return bytes.IndexOf("\r\n\r\n"u8);
    }

    // Chunked transfer coding, tolerating a cut-off last chunk (a stream read for its budget only).
    private static byte[] Dechunk(byte[] raw)
    {
        var output = new MemoryStream();
        var position = 0;
        while (position < raw.Length)
        {
            var lineEnd = raw.AsSpan(position).IndexOf("\r\n"u8);
            if (lineEnd < 0)
                break;
            var sizeText = Encoding.Latin1.GetString(raw, position, lineEnd).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
                break;
            position += lineEnd + 2;
            var take = Math.Min(size, raw.Length - position);
            output.Write(raw, position, take);
            position += size + 2;
        }

        return output.ToArray();
    }
}

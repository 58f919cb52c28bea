// Sends a request exactly as written, byte for byte, for inputs HttpClient would normalise
// (invalid percent-escapes, odd methods, broken headers).
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace KvDb.Tests.Api;

public static class RawHttp
{
    /// <summary>The status code and body of the response to <paramref name="request"/> (CRLF line ends added).</summary>
    public static async Task<(int Status, string Head, string Body)> SendAsync(Uri server, string request, byte[]? body = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var head = request.Replace("\r\n", "\n").Replace("\n", "\r\n");
        if (!head.EndsWith("\r\n\r\n", StringComparison.Ordinal))
            head += head.EndsWith("\r\n", StringComparison.Ordinal) ? "\r\n" : "\r\n\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head));
        if (body is not null)
            await stream.WriteAsync(body);

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int read;
        while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (IsComplete(buffer.ToArray()))
                break;
        }

        var text = Encoding.UTF8.GetString(buffer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var responseHead = split >= 0 ? text[..split] : text;
        var status = int.Parse(responseHead.Split(' ')[1], CultureInfo.InvariantCulture);
        return (status, responseHead, split >= 0 ? text[(split + 4)..] : "");
    }

    // Enough to stop reading a keep-alive response: Content-Length satisfied or the last chunk seen.
    private static bool IsComplete(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
            return false;
        var head = text[..split];
        var body = text[(split + 4)..];
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                return body.Length >= int.Parse(line["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
        }

        return head.Contains("chunked", StringComparison.OrdinalIgnoreCase) ? body.EndsWith("0\r\n\r\n", StringComparison.Ordinal) : true;
    }
}

// The parameters of GET /v1/watch, checked before anything streams: one of key=, prefix= or
// start=/end=; after= (a revision, or Last-Event-ID when the client reconnects an event stream);
// prev=true|false; progress= (a duration, 100ms to 10m).
using System.Globalization;
using System.Text;
using KvDb.Core.Auth;
using KvDb.Flags;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Watch;

/// <summary>Which keys a watch follows: one key, or [Start, End) (End null: to the last key).</summary>
public sealed record KeyFilter(byte[] Start, byte[]? End, bool SingleKey)
{
    /// <summary>Whether <paramref name="key"/> passes the filter.</summary>
    public bool Contains(byte[] key)
        => SingleKey
            ? key.AsSpan().SequenceEqual(Start)
            : key.AsSpan().SequenceCompareTo(Start) >= 0 && (End is null || key.AsSpan().SequenceCompareTo(End) < 0);
}

/// <summary>A parsed watch request.</summary>
public sealed record WatchRequest(KeyFilter Range, long? After, bool Previous, TimeSpan Progress, bool ServerSentEvents)
{
    private static readonly TimeSpan DefaultProgress = TimeSpan.FromSeconds(10);

    /// <summary>Parses the query and headers; an error message instead when they are wrong.</summary>
    public static (WatchRequest? Request, string? Error) Parse(HttpRequest request)
    {
        var query = request.Query;
        var (range, rangeError) = ParseRange(query);
        if (range is null)
            return (null, rangeError);

        var sse = request.Headers.Accept.Any(static a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
        long? after = null;
        var resume = sse ? request.Headers["Last-Event-ID"].ToString() : "";
        var afterText = resume.Length > 0 ? resume : query["after"].ToString();
        if (afterText.Length > 0)
        {
            if (!long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
                return (null, $"{(resume.Length > 0 ? "Last-Event-ID" : "after")} must be a revision (a whole number, 0 or more), not '{ValueResults.Shorten(afterText)}'.");
            after = revision;
        }

        var prevText = query["prev"].ToString();
        if (prevText is not ("" or "true" or "false"))
            return (null, "prev must be true or false.");

        var (progress, progressError) = ParseProgress(query["progress"].ToString());
        if (progressError is not null)
            return (null, progressError);

        return (new WatchRequest(range, after, prevText == "true", progress, sse), null);
    }

    /// <summary>The interval of progress lines from <c>progress=</c> (10 s when empty); an error message when it is not 100ms to 10m.</summary>
    public static (TimeSpan Progress, string? Error) ParseProgress(string text)
    {
        if (text.Length == 0)
            return (DefaultProgress, null);
        return Duration.TryParse(text, out var progress) && progress >= TimeSpan.FromMilliseconds(100) && progress <= TimeSpan.FromMinutes(10)
            ? (progress, null)
            : (default, "progress must be a duration from 100ms to 10m, like 5s.");
    }

    private static (KeyFilter? Range, string? Error) ParseRange(IQueryCollection query)
    {
        var forms = (query.ContainsKey("key") ? 1 : 0) + (query.ContainsKey("prefix") ? 1 : 0) + (query.ContainsKey("start") || query.ContainsKey("end") ? 1 : 0);
        if (forms != 1)
            return (null, "Watch one key (key=K), a prefix (prefix=P; an empty prefix is every key) or a range (start=A&end=B, end exclusive and optional).");

        if (query.TryGetValue("key", out var key))
        {
            var bytes = Encoding.UTF8.GetBytes(key.ToString());
            return bytes.Length is > 0 and <= KeyPath.MaxKeyBytes ? (new KeyFilter(bytes, null, SingleKey: true), null) : (null, $"key must be 1 to {KeyPath.MaxKeyBytes} bytes.");
        }

        if (query.TryGetValue("prefix", out var prefix))
        {
            var bytes = Encoding.UTF8.GetBytes(prefix.ToString());
            return (new KeyFilter(bytes, KeyOrder.PrefixEnd(bytes), SingleKey: false), null);
        }

        var start = Encoding.UTF8.GetBytes(query["start"].ToString());
        var end = query["end"].ToString() is { Length: > 0 } e ? Encoding.UTF8.GetBytes(e) : null;
        if (end is not null && start.AsSpan().SequenceCompareTo(end) > 0)
            return (null, "start must not be after end (end is exclusive).");
        return (new KeyFilter(start, end, SingleKey: false), null);
    }
}

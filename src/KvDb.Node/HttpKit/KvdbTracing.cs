// kvdb's own spans on a member (ActivitySource "KvDb.Node") and the attributes it adds to the
// request span ASP.NET Core starts: the key's prefix, the read consistency.
// Invariants:
//  - With tracing off (no listener on the source) every helper returns after one check of
//    HasListeners: no Activity, no tag, no string is made on the request path.
//  - A child span is started only under a current span: background work (lease expiry, the
//    batcher's own loop) never starts a root span of its own.
//  - A key is never put in a span whole: KeyPrefix keeps at most KeyPrefixDepth leading
//    '/'-separated segments and never the last segment; values are never put in a span.
using System.Diagnostics;
using System.Text;

namespace KvDb.Node.HttpKit;

/// <summary>kvdb's trace source on a member and the request attributes it sets.</summary>
public static class KvdbTracing
{
    /// <summary>The name of the <see cref="ActivitySource"/> of the member's spans.</summary>
    public const string SourceName = "KvDb.Node";

    /// <summary>The attribute with the key's (or range's) prefix.</summary>
    public const string KeyPrefixTag = "kvdb.key.prefix";

    /// <summary>The member's spans: proposal batching, forwarding, replication, read barriers.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>How many leading '/'-separated segments of a key a span may carry (--trace-key-depth); set once at start.</summary>
    public static int KeyPrefixDepth { get; set; } = 1;

    /// <summary>Whether anything listens to kvdb's spans (tracing is on).</summary>
    public static bool IsOn => Source.HasListeners();

    /// <summary>Starts <paramref name="name"/> as a child of the current span; null when tracing is off or nothing is being traced here.</summary>
    public static Activity? StartChild(string name, ActivityKind kind = ActivityKind.Internal)
        => Source.HasListeners() && Activity.Current is not null ? Source.StartActivity(name, kind) : null;

    /// <summary>Puts the prefix of <paramref name="key"/> on the request's span.</summary>
    public static void TagKey(ReadOnlySpan<byte> key)
    {
        if (Source.HasListeners() && Activity.Current is { IsAllDataRequested: true } request)
            request.SetTag(KeyPrefixTag, KeyPrefix(key, KeyPrefixDepth));
    }

    /// <summary>Puts the prefix of <paramref name="key"/> and the consistency of the read on the request's span.</summary>
    public static void TagRead(ReadOnlySpan<byte> key, ReadConsistency consistency)
    {
        if (Source.HasListeners() && Activity.Current is { IsAllDataRequested: true } request)
        {
            request.SetTag(KeyPrefixTag, KeyPrefix(key, KeyPrefixDepth));
            request.SetTag("kvdb.consistency", consistency is ReadConsistency.Linearizable ? "linearizable" : "local");
        }
    }

    /// <summary>
    /// The first <paramref name="depth"/> '/'-separated segments of <paramref name="key"/>, each
    /// with its '/', but never its last segment (a key with fewer segments gives those before its
    /// last): "users/42/name" at depth 1 is "users/", "users/42" at depth 2 is "users/", "config" is "".
    /// </summary>
    public static string KeyPrefix(ReadOnlySpan<byte> key, int depth)
    {
        var end = 0;
        for (var segments = 0; segments < depth; segments++)
        {
            var slash = key[end..].IndexOf((byte)'/');
            if (slash < 0)
                break;
            end += slash + 1;
        }

        return end == 0 ? "" : Encoding.UTF8.GetString(key[..end]);
    }
}

// The value of --cluster: the initial members' peer URLs, in id order.
// Invariants: at least one member; URLs are normalised (PeerUrl) and distinct. Only this
// member's own URL is ever resolved here (to listen on it); the others are reached by URL.
using System.Net;

namespace KvDb.Node.Hosting;

/// <summary>The initial members named by <c>--cluster</c>, in id order.</summary>
/// <param name="Urls">Normalised peer URLs.</param>
public sealed record PeerList(IReadOnlyList<string> Urls)
{
    /// <summary>Parses a comma-separated list of peer URLs.</summary>
    /// <exception cref="FormatException">An entry is not a peer URL, or repeats another.</exception>
    public static PeerList Parse(string text)
    {
        var urls = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            urls.Add(PeerUrl.Normalize(part)
                ?? throw new FormatException($"--cluster entry '{part}' is not a peer URL like {PeerUrl.Example}"));
        }

        for (var i = 0; i < urls.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(Authority(urls[i]), Authority(urls[j]), StringComparison.Ordinal))
                    throw new FormatException($"--cluster lists {Authority(urls[i])} twice (members {j + 1} and {i + 1})");
            }
        }

        return new(urls);
    }

    // host:port, whatever the scheme: http:// and https:// on one port are one member.
    private static string Authority(string url) => url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];

    /// <summary>Resolves this member's own peer URL to the address its peer port listens on.</summary>
    /// <exception cref="FormatException">The host has no address; the message names --cluster.</exception>
    public static IPEndPoint ResolveOwn(string url)
    {
        try
        {
            return PeerUrl.Resolve(url);
        }
        catch (FormatException e)
        {
            throw new FormatException($"--cluster {e.Message}");
        }
    }
}

// The value of --cluster: the initial members' peer URLs and where their Raft traffic goes.
// Invariants: at least one member; URLs are normalised (PeerUrl) and each resolves to a distinct
// endpoint, in the same (id) order as the URLs.
using System.Net;

namespace KvDb.Node.Hosting;

/// <summary>The initial members named by <c>--cluster</c>, in id order.</summary>
/// <param name="Urls">Normalised peer URLs.</param>
/// <param name="EndPoints">The resolved endpoint of each URL.</param>
public sealed record PeerList(IReadOnlyList<string> Urls, IReadOnlyList<IPEndPoint> EndPoints)
{
    /// <summary>Parses a comma-separated list of peer URLs and resolves each.</summary>
    /// <exception cref="FormatException">An entry is not a peer URL, does not resolve, or repeats another.</exception>
    public static PeerList Parse(string text)
    {
        var urls = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            urls.Add(PeerUrl.Normalize(part)
                ?? throw new FormatException($"--cluster entry '{part}' is not a peer URL like {PeerUrl.Example}"));
        }

        var endpoints = urls.Select(Resolve).ToArray();
        for (var i = 0; i < endpoints.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (endpoints[i].Equals(endpoints[j]))
                    throw new FormatException($"--cluster lists {urls[i]} twice (members {j + 1} and {i + 1})");
            }
        }

        return new(urls, endpoints);
    }

    private static IPEndPoint Resolve(string url)
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

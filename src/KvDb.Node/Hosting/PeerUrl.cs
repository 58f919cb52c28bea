// Raft peer URLs as users write them (http://host:port, or https://host:port for a peer port
// served over TLS), in --cluster and in membership requests.
// Invariants: a parsed URL is normalised to "http://host:port" or "https://host:port"
// (lower-case scheme and host, no path; tcp:// is read as http://), so the same member is always
// written the same way in the replicated membership map.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;

namespace KvDb.Node.Hosting;

/// <summary>Parses, normalises and resolves Raft peer URLs.</summary>
public static partial class PeerUrl
{
    /// <summary>An example for error messages.</summary>
    public const string Example = "http://127.0.0.1:12379";

    /// <summary>Parses <paramref name="text"/> into its normal form, or returns null when it is not a peer URL.</summary>
    public static string? Normalize(string? text)
    {
        text = text?.Trim();
        if (text is null || !Pattern().IsMatch(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Port is <= 0 or > 65535)
            return null;
        var scheme = uri.Scheme == Uri.UriSchemeHttps ? "https" : "http";
        return string.Create(CultureInfo.InvariantCulture, $"{scheme}://{uri.Host.ToLowerInvariant()}:{uri.Port}");
    }

    /// <summary>True when the normalised <paramref name="url"/> is served over TLS.</summary>
    public static bool IsHttps(string url) => url.StartsWith("https://", StringComparison.Ordinal);

    [GeneratedRegex(@"^(http|https|tcp)://(\[[0-9a-fA-F:.]+\]|[^/:\[\]@\s]+):[0-9]{1,5}/?$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>Resolves a normalised peer URL to the endpoint Raft traffic goes to.</summary>
    /// <exception cref="FormatException">The host has no address.</exception>
    public static IPEndPoint Resolve(string url)
    {
        var uri = new Uri(url);
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
            return new(address, uri.Port);

        try
        {
            var addresses = Dns.GetHostAddresses(uri.Host);
            var chosen = Array.Find(addresses, a => a.AddressFamily is AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new FormatException($"host '{uri.Host}' has no address");
            return new(chosen, uri.Port);
        }
        catch (SocketException e)
        {
            throw new FormatException($"host '{uri.Host}' cannot be resolved: {e.Message}");
        }
    }

    /// <summary>The Raft endpoint DotNext knows the member at a normalised <paramref name="url"/> by.</summary>
    public static UriEndPoint ToEndPoint(string url) => new(new Uri(url + "/", UriKind.Absolute));

    /// <summary>The normalised peer URL of a Raft endpoint, or null when it is not one.</summary>
    public static string? Of(EndPoint? endPoint) => endPoint is UriEndPoint { Uri: var uri } ? Normalize(uri.GetLeftPart(UriPartial.Authority)) : null;
}

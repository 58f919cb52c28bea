// Options for a member whose app is built but never started: tests that read its routes,
// configuration or document. The ports and data directory are never bound or created.
using System.Net;

namespace KvDb.Tests.Hosting;

internal static class UnstartedMember
{
    /// <summary>Options of member 1 of a one-member cluster; <paramref name="purpose"/> names its (unused) data directory.</summary>
    public static NodeOptions Options(string purpose) => new()
    {
        Id = 1,
        PeerEndPoint = new IPEndPoint(IPAddress.Loopback, 1),
        ClusterUrls = ["http://127.0.0.1:1"],
        Port = 2,
        DataDir = Path.Combine(Path.GetTempPath(), $"kvdb-{purpose}-unused"),
    };
}

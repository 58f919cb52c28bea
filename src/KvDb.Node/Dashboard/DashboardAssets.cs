// The dashboard's files, read once from the resources embedded in the kvdb executable.
// Invariants: an asset's ETag is a hash of its bytes, so it changes exactly when the file does
// (a new release); names are the paths under /ui/, without a leading slash.
using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace KvDb.Node.Dashboard;

/// <summary>One embedded file of the dashboard.</summary>
/// <param name="Bytes">Its content.</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="ETag">A strong entity tag of its content, quoted.</param>
public sealed record DashboardAsset(byte[] Bytes, string ContentType, string ETag);

/// <summary>The dashboard's files by path.</summary>
public sealed class DashboardAssets
{
    /// <summary>The prefix of the assets' manifest resource names (see KvDb.Node.csproj).</summary>
    public const string ResourcePrefix = "kvdb.ui/";

    private readonly FrozenDictionary<string, DashboardAsset> assets;

    private DashboardAssets(FrozenDictionary<string, DashboardAsset> assets) => this.assets = assets;

    /// <summary>The file names, for tests and the docs.</summary>
    public IEnumerable<string> Names => assets.Keys;

    /// <summary>Reads every embedded asset of this assembly.</summary>
    public static DashboardAssets Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var found = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
                continue;
            var bytes = Read(assembly, name);
            var path = name[ResourcePrefix.Length..].Replace('\\', '/');
            var hash = Convert.ToBase64String(SHA256.HashData(bytes), 0, 12).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            found[path] = new DashboardAsset(bytes, ContentTypeOf(path), $"\"{hash}\"");
        }

        return new DashboardAssets(found.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The asset at <paramref name="path"/>, or null.</summary>
    public DashboardAsset? Find(string path) => assets.GetValueOrDefault(path);

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}

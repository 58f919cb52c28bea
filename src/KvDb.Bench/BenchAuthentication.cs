// What kvdb bench sends to be let in: an https CA to trust (--cacert) and an Authorization
// header (--token or --user). Invariants: every bad value is a FormatException with a one-line
// message naming the flag; the header is made once, not per request.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KvDb.Bench;

/// <summary>Parses the authentication flags of <c>kvdb bench</c>.</summary>
public static class BenchAuthentication
{
    /// <summary>The CA certificates of the PEM file at <paramref name="path"/>.</summary>
    public static X509Certificate2Collection ReadCa(string path)
    {
        var trust = new X509Certificate2Collection();
        try
        {
            trust.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new FormatException($"--cacert '{path}': {e.Message.ReplaceLineEndings(" ").Trim()}");
        }

        return trust.Count > 0 ? trust : throw new FormatException($"--cacert '{path}' holds no PEM certificate");
    }

    /// <summary>The Authorization header of HTTP Basic credentials given as NAME:PASSWORD.</summary>
    public static string ParseUser(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || text.Any(char.IsControl))
            throw new FormatException("--user needs NAME:PASSWORD (a non-empty name, a colon, then the password)");
        return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The Authorization header for a token: Bearer for kvdb, the bare token for etcd's gateway.</summary>
    public static string Bearer(string token, BenchTarget target) => target is BenchTarget.Etcd ? token : "Bearer " + token;
}

// S2's naming rules, and how a basin and a stream map onto kvdb's keyspaces, lists and auth keys.
// Invariants: a basin is the keyspace of the same name, a stream the list of the same key; auth
// checks a stream as the key "{basin}/{stream}" and a basin as the prefix "{basin}/", exactly as
// the lists API does, so one grant covers a list through either API.
using System.Text;

namespace KvDb.Node.Streams;

/// <summary>Basin and stream names.</summary>
public static class S2Names
{
    /// <summary>The header that names the basin of stream and record requests.</summary>
    public const string BasinHeader = "s2-basin";

    /// <summary>Whether <paramref name="name"/> is a basin name: 8 to 48 of [a-z0-9-], starting and ending with a letter or digit.</summary>
    public static bool IsBasin(string? name)
    {
        if (name is null || name.Length is < 8 or > 48 || name[0] == '-' || name[^1] == '-')
            return false;
        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
                return false;
        }

        return true;
    }

    /// <summary>Why <paramref name="name"/> is not a stream name, or null: 1 to 512 UTF-8 bytes, no NUL, not "." or "..".</summary>
    public static string? CheckStream(string name)
        => name.Length == 0 || Encoding.UTF8.GetByteCount(name) > 512 || name.Contains('\0') || name is "." or ".."
            ? "a stream name is 1 to 512 bytes of UTF-8, without NUL, and not \".\" or \"..\""
            : null;

    /// <summary>The auth key of a stream.</summary>
    public static byte[] AccessKey(string basin, string stream) => Encoding.UTF8.GetBytes(basin + "/" + stream);

    /// <summary>The basin of a stream or record request, from its header, or the error.</summary>
    public static (string? Basin, S2Error? Error) BasinOf(HttpRequest request)
    {
        var basin = request.Headers[BasinHeader].ToString();
        if (basin.Length == 0)
            return (null, S2Error.BadHeader($"missing header `{BasinHeader}`: kvdb serves stream requests for the basin it names"));
        return IsBasin(basin) ? (basin, null) : (null, S2Error.BadHeader($"`{BasinHeader}` is not a basin name (8 to 48 of a-z, 0-9 and '-', starting and ending with a letter or digit)"));
    }
}

// The TTL of a lease as the client sends it: checked against the server's range (1 s to 7 days)
// before anything is sent, and written in milliseconds so no precision is lost on the way.
using System.Globalization;

namespace KvDb.Client;

/// <summary>Checks and formats lease TTLs.</summary>
internal static class LeaseTtl
{
    /// <summary>The shortest TTL kvdb grants.</summary>
    public static readonly TimeSpan Min = TimeSpan.FromSeconds(1);

    /// <summary>The longest TTL kvdb grants.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(7);

    /// <summary>Throws unless <paramref name="ttl"/> is from <see cref="Min"/> to <see cref="Max"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    public static void Validate(TimeSpan ttl, string name)
    {
        if (ttl < Min || ttl > Max)
            throw new ArgumentOutOfRangeException(name, ttl, "A lease's TTL must be from 1 s to 7 days.");
    }

    /// <summary>The TTL as kvdb reads it (<c>1500ms</c>), after checking it.</summary>
    public static string Format(TimeSpan ttl, string name)
    {
        Validate(ttl, name);
        return ((long)ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
    }

    /// <summary>A wait as kvdb reads it (<c>timeout=30000ms</c>), at least 1 ms.</summary>
    public static string FormatWait(TimeSpan wait)
        => Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
}

// kvdb orders keys by their UTF-8 bytes, unsigned (not by .NET's string order).
using System.Text;

namespace KvDb.Client;

/// <summary>kvdb's key order.</summary>
internal static class KeyOrder
{
    /// <summary>Compares two keys as kvdb does: by their UTF-8 bytes.</summary>
    public static int Compare(string a, string b)
        => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
}

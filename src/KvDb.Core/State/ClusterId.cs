// The cluster id: a name every member of one cluster shares and no other cluster has, kept in
// the replicated state so that every member agrees on it without a round trip.
// Invariants:
//  - Stored once under 's' + "cluster-id" (UTF-8, 16 lower-case hex digits) and never changed
//    by a command: the first leader writes it with the bootstrap (BootstrapMembersCommand), or,
//    for a cluster bootstrapped by a release without ids, the first leader running this one.
//  - A restore gives the new cluster a new id derived from the backup's hash and the new
//    membership, so members restored one by one (on different machines) agree on it without
//    talking, and a restored cluster's id differs from the cluster the backup came from.
using System.Security.Cryptography;
using System.Text;

namespace KvDb.Core.State;

/// <summary>Where the cluster id is kept and how ids are made.</summary>
public static class ClusterId
{
    /// <summary>The store key of the cluster id.</summary>
    public static readonly byte[] Key = [StoreKeys.Counters, .. "cluster-id"u8];

    /// <summary>The cluster id in <paramref name="store"/>, or null when none was assigned yet.</summary>
    public static string? Read(IKeyValueStore store)
        => store.TryGet(Key, out var value) && value is { Length: > 0 } ? Encoding.UTF8.GetString(value) : null;

    /// <summary>The cluster id in <paramref name="view"/>, or null when none was assigned yet.</summary>
    public static string? Read(IKeyValueView view)
        => view.TryGet(Key, out var value) && value is { Length: > 0 } ? Encoding.UTF8.GetString(value) : null;

    /// <summary>A new random id, for a cluster being bootstrapped.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The id of a cluster restored from the backup whose SHA-256 is <paramref name="backupSha256"/> with members <paramref name="peerUrls"/>.</summary>
    public static string ForRestore(string backupSha256, IEnumerable<string> peerUrls)
    {
        var text = "kvdb restore\n" + backupSha256 + "\n" + string.Join('\n', peerUrls);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
    }

    /// <summary>True when <paramref name="text"/> has the form of a cluster id (1 to 64 characters of [0-9a-z-]).</summary>
    public static bool IsWellFormed(string? text)
        => text is { Length: > 0 and <= 64 } && text.All(static c => c is (>= '0' and <= '9') or (>= 'a' and <= 'z') or '-');
}

// What one member advertised about itself: the release it runs and the command kinds (union
// tags) its state machine can apply. Kept in the replicated store under StoreKeys.Release, so
// every member agrees on it and a leader checks it locally (see ClusterVersion).
// Invariants:
//  - Written only through BootstrapMembersCommand's release fields, for a member in the map;
//    removed with the member.
//  - The stored form is "release\ntag,tag,...", tags ascending and distinct, so equal
//    advertisements are equal bytes and a member can tell whether its record is current.
using System.Globalization;
using System.Text;
using KvDb.Core.State;

namespace KvDb.Core.Membership;

/// <summary>A member's release and the command tags it can apply.</summary>
/// <param name="Release">Its release, <c>major.minor.patch</c>.</param>
/// <param name="Commands">The command tags it can apply, ascending and distinct.</param>
public sealed record MemberRelease(string Release, IReadOnlyList<int> Commands)
{
    /// <summary>An advertisement with <paramref name="commands"/> sorted and made distinct.</summary>
    public static MemberRelease Of(string release, IEnumerable<int> commands)
        => new(release, [.. commands.Where(static t => t >= 0).Distinct().Order()]);

    /// <summary>Whether this and <paramref name="other"/> advertise the same release and commands.</summary>
    public bool SameAs(MemberRelease? other)
        => other is not null && string.Equals(Release, other.Release, StringComparison.Ordinal) && Commands.SequenceEqual(other.Commands);

    /// <summary>The stored form.</summary>
    public byte[] Encode() => Encoding.UTF8.GetBytes(Release + "\n" + string.Join(',', Commands.Select(static t => t.ToString(CultureInfo.InvariantCulture))));

    /// <summary>Reads the stored form; null when it is not one.</summary>
    public static MemberRelease? Decode(ReadOnlySpan<byte> stored)
    {
        var text = Encoding.UTF8.GetString(stored);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline <= 0)
            return null;
        var tags = new List<int>();
        foreach (var part in text[(newline + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var tag))
                return null;
            tags.Add(tag);
        }

        return Of(text[..newline], tags);
    }

    /// <summary>Every member's advertised release in <paramref name="view"/>, by id (members that advertised none are absent).</summary>
    public static SortedDictionary<int, MemberRelease> ReadAll(IKeyValueView view)
    {
        var releases = new SortedDictionary<int, MemberRelease>();
        foreach (var (key, value) in view.Scan(StoreKeys.Start(StoreKeys.Release), StoreKeys.End(StoreKeys.Release)))
        {
            if (Decode(value) is { } release)
                releases[StoreKeys.MemberId(key)] = release;
        }

        return releases;
    }
}

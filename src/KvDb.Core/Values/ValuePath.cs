// Tracks where a parser or decoder is inside a value, to name the location in error messages.
// Invariants:
//  - Push/Pop are cheap (no string building); the path text is built only when an error is
//    reported, so the happy path allocates nothing beyond the segment array.
//  - The number of segments is bounded by the value depth limit (at most two per level plus a
//    root field), so the array never grows past a small fixed size.
//  - Quoted user text is truncated to MaxQuoted characters.
using System.Text;

namespace KvDb.Core.Values;

/// <summary>A stack of path segments rendered as <c>$.value.Set[1].Map.k1</c>.</summary>
internal sealed class ValuePath
{
    /// <summary>The longest piece of user text quoted in a message.</summary>
    public const int MaxQuoted = 64;

    private Segment[] _segments = new Segment[16];
    private int _count;

    /// <summary>Enters a named member (a type tag or an envelope field): <c>.name</c>.</summary>
    public void PushName(string name) => Push(new Segment(name, -1));

    /// <summary>Enters a map key: <c>.key</c> or <c>['odd key']</c>.</summary>
    public void PushKey(string key) => Push(new Segment(key, -2));

    /// <summary>Enters a list or set element: <c>[index]</c>.</summary>
    public void PushIndex(int index) => Push(new Segment(null, index));

    /// <summary>Replaces the index of the innermost element segment.</summary>
    public void SetIndex(int index) => _segments[_count - 1] = new Segment(null, index);

    /// <summary>Leaves the innermost segment.</summary>
    public void Pop() => _count--;

    /// <summary>Creates the exception for a problem at the current location.</summary>
    public TypedValueFormatException Error(string reason, Exception? inner = null) => new(ToString(), reason, inner);

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder("$");
        for (var i = 0; i < _count; i++)
            Append(text, _segments[i]);
        return text.ToString();
    }

    /// <summary>Quotes user text for a message, truncating it.</summary>
    public static string Quote(string text) =>
        text.Length <= MaxQuoted ? $"'{text}'" : $"'{text[..MaxQuoted]}…' ({text.Length} characters)";

    private void Push(Segment segment)
    {
        if (_count == _segments.Length)
            Array.Resize(ref _segments, _segments.Length * 2);
        _segments[_count++] = segment;
    }

    private static void Append(StringBuilder text, Segment segment)
    {
        if (segment.Index >= 0)
            text.Append('[').Append(segment.Index).Append(']');
        else if (segment.Index == -1 || IsPlainName(segment.Name!))
            text.Append('.').Append(Truncate(segment.Name!));
        else
            text.Append("['").Append(Truncate(segment.Name!).Replace("\\", "\\\\").Replace("'", "\\'")).Append("']");
    }

    private static string Truncate(string name) => name.Length <= MaxQuoted ? name : name[..MaxQuoted] + "…";

    private static bool IsPlainName(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            return false;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
                return false;
        }

        return true;
    }

    private readonly record struct Segment(string? Name, int Index);
}

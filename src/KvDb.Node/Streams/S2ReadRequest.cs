// A read's query as S2 defines it: where it starts (seq_num | timestamp | tail_offset, the tail
// when none is given), whether a start past the tail is clamped, and when it stops (count,
// bytes metered, until a timestamp, wait seconds without a record).
// Invariants: at most one start; counts and waits are whole numbers; a unary read is capped at
// 1,000 records, 1 MiB and a 60 s wait, silently, as S2 does.
using System.Globalization;

namespace KvDb.Node.Streams;

/// <summary>How a read's start is given.</summary>
public enum S2StartKind
{
    /// <summary>A sequence number.</summary>
    SeqNum,

    /// <summary>The first record at or after a timestamp.</summary>
    Timestamp,

    /// <summary>This many records before the tail.</summary>
    TailOffset,
}

/// <summary>A parsed read.</summary>
public sealed record S2ReadRequest(S2StartKind Start, long At, bool Clamp, long? Count, long? Bytes, long? Until, long? WaitSecs)
{
    /// <summary>Whether a stop condition was given (then <c>wait</c> defaults to 0, else to forever).</summary>
    public bool Bounded => Count is not null || Bytes is not null || Until is not null;

    /// <summary>Parses the query of <paramref name="request"/>.</summary>
    public static (S2ReadRequest? Read, S2Error? Error) Parse(HttpRequest request)
    {
        var query = request.Query;
        (S2StartKind Kind, string Name)[] starts = [(S2StartKind.SeqNum, "seq_num"), (S2StartKind.Timestamp, "timestamp"), (S2StartKind.TailOffset, "tail_offset")];
        var given = starts.Where(s => query.ContainsKey(s.Name)).ToList();
        if (given.Count > 1)
            return (null, S2Error.Invalid("a read starts at one of seq_num, timestamp and tail_offset"));
        var (kind, at) = (S2StartKind.TailOffset, 0L);
        if (given.Count == 1)
        {
            if (Number(query[given[0].Name]) is not { } value)
                return (null, S2Error.BadQuery($"{given[0].Name} is a whole number"));
            (kind, at) = (given[0].Kind, value);
        }

        var clamp = query["clamp"].ToString();
        if (clamp is not ("" or "true" or "false"))
            return (null, S2Error.BadQuery("clamp is true or false"));
        long? count = null, bytes = null, until = null, wait = null;
        foreach (var (name, set) in new (string, Action<long>)[] { ("count", v => count = v), ("bytes", v => bytes = v), ("until", v => until = v), ("wait", v => wait = v) })
        {
            if (!query.ContainsKey(name))
                continue;
            if (Number(query[name]) is not { } value)
                return (null, S2Error.BadQuery($"{name} is a whole number"));
            set(value);
        }

        if (kind is S2StartKind.Timestamp && until is { } end && at >= end)
            return (null, S2Error.Invalid("the start timestamp is not before until"));
        return (new S2ReadRequest(kind, at, clamp == "true", count, bytes, until, wait), null);
    }

    private static long? Number(string? text)
        => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}

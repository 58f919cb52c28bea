// One NDJSON line of kvdb's GET /v1/watch, reduced to what watch mode needs:
// {"type":"put","key":"bench-0042","value":"...","revision":42} gives (Put, 42, key index 42),
// {"type":"progress","revision":50} gives (Progress, 50), {"type":"compacted",
// "compactRevision":C} gives (Compacted, C). Invariants:
//  - Parsing allocates nothing: Utf8JsonReader over the line's bytes; values (strings or a typed
//    value's JSON) are skipped, not decoded; fields may come in any order.
//  - Key is -1 unless the key is one of the benchmark's (KeySpace.TryParseIndex), so other
//    clients' keys in a watched range are told apart and ignored.
//  - A line that is not one JSON object throws JsonException: the stream is not what kvdb sends.
using System.Text.Json;

namespace KvDb.Bench;

/// <summary>What a watch line announces.</summary>
public enum WatchLineType
{
    /// <summary>Any other type (delete, or one this bench does not know).</summary>
    Other,

    /// <summary>A put: <c>{"type":"put","key":...,"revision":R}</c>.</summary>
    Put,

    /// <summary>Every matching change up to the revision has been sent.</summary>
    Progress,

    /// <summary>The history moved past the watch; the stream ends.</summary>
    Compacted,
}

/// <summary>A parsed watch line: its type, revision (compactRevision for Compacted) and benchmark key index (-1 for none).</summary>
public readonly record struct WatchLine(WatchLineType Type, long Revision, int Key)
{
    /// <summary>Parses one line (without its newline) of a watch on <paramref name="keys"/>.</summary>
    /// <exception cref="JsonException">The line is not a JSON object.</exception>
    public static WatchLine Parse(ReadOnlySpan<byte> line, KeySpace keys)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("a watch line is not a JSON object");

        var type = WatchLineType.Other;
        long revision = 0;
        var key = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.ValueTextEquals("put"u8) ? WatchLineType.Put
                    : reader.ValueTextEquals("progress"u8) ? WatchLineType.Progress
                    : reader.ValueTextEquals("compacted"u8) ? WatchLineType.Compacted
                    : WatchLineType.Other;
            }
            else if (reader.ValueTextEquals("revision"u8) || reader.ValueTextEquals("compactRevision"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number)
                    reader.TryGetInt64(out revision);
            }
            else if (reader.ValueTextEquals("key"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && keys.TryParseIndex(reader.ValueSpan, out var index))
                    key = index;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new WatchLine(type, revision, key);
    }
}

// kvdb's JSON documents as the client gives them: range pages (GET /v1/kv), members and status
// from KvDb.Contracts' records, and watch lines (GET /v1/watch, NDJSON).
// Invariants: a value is a JSON string holding the stored bytes when they are UTF-8 ("value"),
// else base64 ("valueBase64"); unknown members are ignored, so a newer server's additions do
// not break an older client.
using System.Text;
using System.Text.Json;
using KvDb.Contracts;

namespace KvDb.Client;

/// <summary>Parses kvdb's JSON documents.</summary>
internal static class WireJson
{
    /// <summary>A member as GET /v1/members lists it.</summary>
    public static KvMember ToMember(MemberJson member) => new()
    {
        Id = member.Id,
        PeerUrl = member.PeerUrl,
        HttpUrl = Url(member.HttpUrl),
        Role = member.Role,
        Reachable = member.Reachable,
        Version = member.Version,
    };

    /// <summary>A member's GET /v1/status.</summary>
    public static KvMemberStatus ToMemberStatus(StatusJson status) => new()
    {
        Id = status.Id,
        PeerUrl = status.PeerUrl,
        HttpUrl = Url(status.HttpUrl),
        Role = status.Role,
        Term = status.Term,
        Leader = status.Leader is { } leader ? new KvLeader { Id = leader.Id, PeerUrl = leader.PeerUrl, HttpUrl = Url(leader.HttpUrl) } : null,
        CommitIndex = status.CommitIndex,
        AppliedIndex = status.AppliedIndex,
        LastLogIndex = status.LastLogIndex,
        SnapshotIndex = status.SnapshotIndex,
        Ready = status.Ready,
        Readiness = status.Readiness,
        Members = [.. status.Members.Select(ToMember)],
        DataDir = status.DataDir,
        DataDirBytes = status.DataDirBytes,
        DiskFreeBytes = status.DiskFreeBytes,
        MinFreeDiskBytes = status.MinFreeDiskBytes,
        WritesRefused = status.WritesRefused,
        InMemory = status.InMemory,
        Version = status.Version,
        StartedAt = status.StartedAt,
        UptimeSeconds = status.UptimeSeconds,
        ClusterVersion = status.ClusterVersion,
        UnavailableCommands = status.UnavailableCommands.ToDictionary(static c => c.Command, static c => (IReadOnlyList<int>)c.Members),
    };

    // A URL as the serializer's Uri converter read it before these records: relative or absolute, null for null.
    private static Uri? Url(string? text) => text is null ? null : new Uri(text, UriKind.RelativeOrAbsolute);

    /// <summary>A value's bytes from its "value" (UTF-8 text) or "valueBase64" field; empty when it has neither.</summary>
    public static byte[] ValueBytes(string? text, byte[]? bytes)
        => text is not null ? Encoding.UTF8.GetBytes(text) : bytes ?? [];

    /// <summary>One range page as the client gives it.</summary>
    public static KvRangePage ToRangePage(RangePageJson page)
        => new([.. page.Items.Select(static item => new KvEntry(item.Key, ValueBytes(item.Value, item.ValueBase64), item.Revision) { IsTyped = item.Typed == true })], page.Continuation, page.Revision);

    /// <summary>One history page as the client gives it.</summary>
    public static KvHistoryPage ToHistoryPage(KeyHistoryJson page)
        => new(page.Key, [.. page.Items.Select(static change => new KvChange(
            change.Revision,
            change.Operation == WatchEventTypes.Delete ? WatchEventType.Delete : WatchEventType.Put,
            change.Operation == WatchEventTypes.Delete ? null : ValueBytes(change.Value, change.ValueBase64),
            change.Typed == true,
            change.Lease,
            DateTimeOffset.FromUnixTimeMilliseconds(change.Timestamp)))], page.Before, page.Revision, page.CompactRevision);

    /// <summary>One line of a watch stream.</summary>
    public readonly record struct WatchLine(string Type, string Key, byte[]? Value, long Revision, byte[]? PreviousValue, long? PreviousRevision, long CompactRevision);

    /// <summary>Parses one NDJSON line of a watch stream (the shape of KvDb.Contracts' WatchEventJson).</summary>
    /// <remarks>
    /// Hand-written on purpose: a watch delivers every change, and this reads a value's UTF-8
    /// bytes straight from the line, where the record would take them through a string.
    /// </remarks>
    /// <exception cref="JsonException">The line is not a JSON object.</exception>
    public static WatchLine ParseWatchLine(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType is not JsonTokenType.StartObject)
            throw new JsonException("A watch line is not a JSON object.");

        string type = "", key = "";
        byte[]? value = null, previous = null;
        long revision = 0, compactRevision = 0;
        long? previousRevision = null;
        while (reader.Read() && reader.TokenType is JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            var escapedName = reader.ValueIsEscaped;
            reader.Read();
            if (escapedName)
            {
                reader.Skip();
                continue;
            }

            if (name.SequenceEqual("type"u8))
                type = reader.GetString() ?? "";
            else if (name.SequenceEqual("key"u8))
                key = reader.GetString() ?? "";
            else if (name.SequenceEqual("value"u8))
                value = Utf8Bytes(ref reader);
            else if (name.SequenceEqual("valueBase64"u8))
                value = reader.GetBytesFromBase64();
            else if (name.SequenceEqual("revision"u8))
                revision = reader.GetInt64();
            else if (name.SequenceEqual("prevValue"u8))
                previous = Utf8Bytes(ref reader);
            else if (name.SequenceEqual("prevValueBase64"u8))
                previous = reader.GetBytesFromBase64();
            else if (name.SequenceEqual("prevRevision"u8))
                previousRevision = reader.GetInt64();
            else if (name.SequenceEqual("compactRevision"u8))
                compactRevision = reader.GetInt64();
            else
                reader.Skip();
        }

        return new WatchLine(type, key, value, revision, previous, previousRevision, compactRevision);
    }

    // A JSON string's UTF-8 bytes, without a detour through UTF-16 when it holds no escapes.
    private static byte[] Utf8Bytes(ref Utf8JsonReader reader)
        => reader.ValueIsEscaped || reader.HasValueSequence ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan.ToArray();
}

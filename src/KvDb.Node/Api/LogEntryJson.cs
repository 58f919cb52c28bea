// Renders committed log entries as JSON lines for /v1/log.
// A transaction is one line with its comparisons, operations and outcome (TxnLogJson); list
// commands name their keyspace, key and items (ListLogJson).
// Invariants: values appear in the S2 typed form ({"UInt": 2}); raw values that are UTF-8 text
// appear as {"Str": ...} and other raw bytes as {"Bytes": "<base64>"}, so every line is JSON.
using System.Buffers;
using System.Text;
using System.Text.Json;
using DotNext.Buffers;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Commands;
using KvDb.Core.Transactions;
using KvDb.Core.Watch;
using KvDb.Core.Values;

namespace KvDb.Node.Api;

/// <summary>JSON lines for log entries.</summary>
public static class LogEntryJson
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <summary>Writes the line that says entries up to <paramref name="snapshotIndex"/> were compacted.</summary>
    public static void WriteCompacted(Stream output, long snapshotIndex)
    {
        using (var json = new Utf8JsonWriter(output, TypedValueJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("compacted");
            json.WriteNumber("through", snapshotIndex);
            json.WriteString("detail", $"Entries up to {snapshotIndex} are compacted into a snapshot; the log goes on from {snapshotIndex + 1}.");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        output.Write(NewLine);
    }

    /// <summary>Writes one line per command of <paramref name="entry"/> (one line for entries without commands).</summary>
    /// <param name="output">Where the lines go.</param>
    /// <param name="entry">The entry.</param>
    /// <param name="history">The change record of an index (for transactions' outcomes), or null when none is kept.</param>
    public static void WriteEntry(Stream output, in LogEntry entry, Func<long, ChangeRecord?>? history = null)
    {
        entry.TryGetPayload(out var payload);
        if (entry.IsConfiguration)
        {
            WriteLine(output, entry, null, json => WriteConfiguration(json, payload));
            return;
        }

        if (payload.IsEmpty)
        {
            WriteLine(output, entry, null, static json => json.WriteStartObject("Noop"));
            return;
        }

        var commands = LogEntryCodec.Decode(payload).Commands;
        var outcomes = history is not null && Array.Exists(commands, static c => c is TxnCommand) ? history(entry.Index)?.TransactionOutcomes : null;
        var transactions = 0;
        for (var i = 0; i < commands.Length; i++)
        {
            var command = commands[i];
            bool? succeeded = command is TxnCommand && outcomes is not null && transactions < outcomes.Length ? outcomes[transactions] : null;
            transactions += command is TxnCommand ? 1 : 0;
            WriteLine(output, entry, commands.Length > 1 ? i : null, json => WriteCommand(json, command, succeeded));
        }
    }

    private static void WriteLine(Stream output, in LogEntry entry, int? position, Action<Utf8JsonWriter> body)
    {
        using (var json = new Utf8JsonWriter(output, TypedValueJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("index", entry.Index);
            json.WriteNumber("term", entry.Term);
            if (position is { } p)
                json.WriteNumber("position", p);
            body(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        output.Write(NewLine);
    }

    private static void WriteCommand(Utf8JsonWriter json, KvCommand command, bool? succeeded)
    {
        switch (command)
        {
            case TxnCommand txn:
                json.WriteStartObject("Txn");
                TxnLogJson.Write(json, txn, succeeded);
                break;
            case PutCommand put:
                json.WriteStartObject("Put");
                json.WriteString("key", Encoding.UTF8.GetString(put.Key));
                json.WritePropertyName("value");
                WriteValue(json, put);
                WriteWriteOptions(json, put.Condition, put.IdempotencyKey);
                if (put.Lease != 0)
                    json.WriteNumber("lease", put.Lease);
                if (put.GrantTtlMs > 0)
                    json.WriteNumber("grantTtlMs", put.GrantTtlMs);
                break;
            case DeleteCommand delete:
                json.WriteStartObject("Delete");
                json.WriteString("key", Encoding.UTF8.GetString(delete.Key));
                WriteWriteOptions(json, delete.Condition, delete.IdempotencyKey);
                break;
            case Core.Leases.GrantLeaseCommand grant:
                json.WriteStartObject("GrantLease");
                json.WriteNumber("id", grant.Id);
                json.WriteNumber("ttlMs", grant.TtlMs);
                break;
            case Core.Leases.RevokeLeaseCommand revoke:
                json.WriteStartObject("RevokeLease");
                json.WriteNumber("id", revoke.Id);
                json.WriteBoolean("expired", revoke.Expired);
                break;
            case BootstrapMembersCommand bootstrap:
                json.WriteStartObject("BootstrapMembers");
                json.WriteStartObject("members");
                for (var i = 0; i < bootstrap.PeerUrls.Length; i++)
                    json.WriteString((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), bootstrap.PeerUrls[i]);
                json.WriteEndObject();
                if (bootstrap.ClusterId is { } clusterId)
                    json.WriteString("clusterId", clusterId);
                break;
            case SetMemberCommand set:
                json.WriteStartObject("SetMember");
                json.WriteNumber("id", set.Id);
                json.WriteString("peerUrl", set.PeerUrl);
                break;
            case RemoveMemberCommand remove:
                json.WriteStartObject("RemoveMember");
                json.WriteNumber("id", remove.Id);
                break;
            default:
                if (!Lists.ListLogJson.TryWrite(json, command))
                    json.WriteStartObject(command.GetType().Name);
                break;
        }
    }

    private static void WriteValue(Utf8JsonWriter json, PutCommand put) => WriteValue(json, put.Value, put.Kind);

    /// <summary>Writes a value in the log's typed form.</summary>
    internal static void WriteValue(Utf8JsonWriter json, byte[] value, ValueKind kind)
    {
        if (kind is ValueKind.Typed)
        {
            TypedValueJson.Write(json, TypedValueCodec.Decode(value));
        }
        else if (TypedValue.FromRawBytes(value) is { } text)
        {
            TypedValueJson.Write(json, text);
        }
        else
        {
            json.WriteStartObject();
            json.WriteBase64String("Bytes", value);
            json.WriteEndObject();
        }
    }

    private static void WriteWriteOptions(Utf8JsonWriter json, Precondition? condition, string? idempotencyKey)
    {
        if (condition?.Revision is { } revision)
            json.WriteNumber("ifRevision", revision);
        if (condition?.MustNotExist is true)
            json.WriteBoolean("ifAbsent", true);
        if (condition?.MustExist is true)
            json.WriteBoolean("ifExists", true);
        if (idempotencyKey is not null)
            json.WriteString("idempotencyKey", idempotencyKey);
    }

    // DotNext's configuration payload: member count (int32 LE), then each endpoint.
    private static void WriteConfiguration(Utf8JsonWriter json, ReadOnlySequence<byte> payload)
    {
        json.WriteStartObject("Configuration");
        json.WriteStartArray("members");
        try
        {
            var reader = new SequenceReader(payload);
            for (var count = reader.ReadLittleEndian<int>(); count > 0; count--)
                json.WriteStringValue(EndPointFormatter.ReadEndPoint(ref reader).ToString());
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidOperationException or FormatException)
        {
            // An unknown layout: the entry is still listed, without its members.
        }

        json.WriteEndArray();
    }
}

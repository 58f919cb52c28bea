// Renders committed log entries as JSON lines for /v1/log: one line per command, each an object
// named by its handler (CommandHandler.LogName) with the fields its handler writes, in the
// request's own vocabulary; configuration entries list their members.
// Invariants: every line is JSON (values in the typed form, see LogValueJson).
using System.Buffers;
using System.Text.Json;
using DotNext.Buffers;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Commands;
using KvDb.Core.Values;
using KvDb.Core.Watch;

namespace KvDb.Node.Log;

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
    public static void WriteEntry(Stream output, in LogEntry entry, Func<long, ChangeRecord?>? history = null, CommandRegistry? registry = null)
    {
        registry ??= CommandRegistry.Default;
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

        var commands = LogEntryCodec.Decode(payload, registry).Commands;
        var context = new LogLineContext(entry.Index, history);
        for (var i = 0; i < commands.Length; i++)
        {
            var command = commands[i];
            var handler = registry.HandlerOf(command);
            context.Ordinal = OrdinalOf(commands, i);
            WriteLine(output, entry, commands.Length > 1 ? i : null, json =>
            {
                json.WriteStartObject(handler.LogName);
                handler.WriteLogFields(json, command, context);
            });
        }
    }

    // How many commands of the same type come before commands[i] (a transaction's outcome is
    // found by its rank among the entry's transactions).
    private static int OrdinalOf(KvCommand[] commands, int i)
    {
        var ordinal = 0;
        for (var j = 0; j < i; j++)
            ordinal += commands[j].GetType() == commands[i].GetType() || (IsTransaction(commands[j]) && IsTransaction(commands[i])) ? 1 : 0;
        return ordinal;
    }

    // Both kinds of transaction record their outcomes in one list, in the order they applied.
    private static bool IsTransaction(KvCommand command) => command is Core.Transactions.TxnCommand or Core.Transactions.RangeTxnCommand;

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

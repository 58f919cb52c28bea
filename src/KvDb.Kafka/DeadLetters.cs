// Dead-letter items: a record the parsers cannot read, or an item kvdb refused, is written as a
// JSON document to list "{topic}/{partition}" of [parser] dead_letter_keyspace, never dropped.
// Invariants: a record dead-lettered by the parsers gets its offset as nonce, so its replay is
// skipped like any other (exactly once); an item kvdb refused (rare: a timestamp below the
// list's last) is written without a nonce, since refusals of one partition can reach the list
// out of offset order from different writers: it may appear twice after a crash, never zero times.
using System.Buffers;
using System.Text.Json;
using Confluent.Kafka;
using KvDb.Client;

namespace KvDb.Kafka;

/// <summary>Builds dead-letter items.</summary>
internal static class DeadLetters
{
    /// <summary>The most bytes of a record's value kept in its dead-letter item.</summary>
    public const int MaxValueBytes = 64 << 10;

    /// <summary>The dead-letter list of a topic's partition.</summary>
    public static ListId ListOf(string keyspace, string topic, int partition) => new(keyspace, topic + "/" + partition.ToString(System.Globalization.CultureInfo.InvariantCulture), DeadLetter: true);

    /// <summary>The dead-letter item of a record the parsers could not read.</summary>
    public static ListAppendItem ForRecord(ConsumeResult<byte[]?, byte[]?> record, string reason)
        => new(Document(record.Topic, record.Partition.Value, record.Offset.Value, reason, null, record.Message.Key, record.Message.Headers, record.Message.Value), (UInt128)record.Offset.Value);

    /// <summary>The dead-letter item of an item kvdb refused.</summary>
    public static ListAppendItem ForRefused(PendingItem item, string reason)
        => new(Document(item.Topic, item.Progress.Partition.Partition.Value, item.Offset, reason, item.List, null, null, item.Item.Value));

    private static byte[] Document(string topic, int partition, long offset, string reason, ListId? list, byte[]? key, Headers? headers, byte[]? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("topic", topic);
            json.WriteNumber("partition", partition);
            json.WriteNumber("offset", offset);
            json.WriteString("reason", reason);
            if (list is { } l)
            {
                json.WriteString("keyspace", l.Keyspace);
                json.WriteString("key", l.Key);
            }

            if (key is not null)
                json.WriteBase64String("recordKeyBase64", key);
            if (headers is { Count: > 0 })
            {
                json.WriteStartArray("headers");
                foreach (var header in headers)
                {
                    json.WriteStartObject();
                    json.WriteString("name", header.Key);
                    json.WriteBase64String("valueBase64", header.GetValueBytes() ?? []);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            value ??= [];
            json.WriteBase64String("valueBase64", value.AsSpan(0, Math.Min(value.Length, MaxValueBytes)));
            if (value.Length > MaxValueBytes)
                json.WriteNumber("valueBytes", value.Length);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a dead-letter document's reason (for tests and tools).</summary>
    public static string? ReasonOf(byte[] document)
    {
        using var parsed = JsonDocument.Parse(document);
        return parsed.RootElement.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
    }
}

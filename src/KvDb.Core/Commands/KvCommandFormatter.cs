// Reads and writes a KvCommand as MessagePack's union form, [tag, command], with the tags the
// registered handlers declare. Byte for byte what MessagePack's [Union] attributes wrote, so
// entries written by earlier releases read unchanged and theirs read ours.
// Invariants: an unknown tag is refused (an entry from a newer release must stop this member
// loudly, not be skipped); nesting counts against the untrusted-data depth limit.
using MessagePack;
using MessagePack.Formatters;

namespace KvDb.Core.Commands;

internal sealed class KvCommandFormatter(CommandRegistry registry) : IMessagePackFormatter<KvCommand?>
{
    public void Serialize(ref MessagePackWriter writer, KvCommand? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var handler = registry.HandlerOf(value);
        writer.WriteArrayHeader(2);
        writer.Write(handler.Tag);
        handler.Serialize(ref writer, value, options);
    }

    public KvCommand? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        if (reader.ReadArrayHeader() != 2)
            throw new MessagePackSerializationException("A command is not a [tag, command] pair.");

        options.Security.DepthStep(ref reader);
        try
        {
            var tag = reader.ReadInt32();
            var handler = registry.HandlerOf(tag)
                ?? throw new MessagePackSerializationException($"Unknown command tag {tag}: the entry was written by a release that has a command this one lacks.");
            return handler.Deserialize(ref reader, options);
        }
        finally
        {
            reader.Depth--;
        }
    }
}

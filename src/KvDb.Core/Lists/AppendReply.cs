// What an append answered: the offsets it assigned and how many items it skipped as duplicates.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Lists;

/// <summary>An append's answer.</summary>
[MessagePackObject]
public sealed class AppendReply
{
    /// <summary>The first offset assigned, or -1 when nothing was appended.</summary>
    [Key(0)]
    public long FirstOffset { get; init; }

    /// <summary>The last offset assigned, or -1 when nothing was appended.</summary>
    [Key(1)]
    public long LastOffset { get; init; }

    /// <summary>Items appended.</summary>
    [Key(2)]
    public long Appended { get; init; }

    /// <summary>Items skipped because their nonce was not above the list's last.</summary>
    [Key(3)]
    public long Skipped { get; init; }

    /// <summary>Encodes the reply.</summary>
    public byte[] Encode() => ReplyCodec.Encode(this);

    /// <summary>Decodes a reply made by <see cref="Encode"/>.</summary>
    public static AppendReply Decode(byte[] bytes) => ReplyCodec.Decode<AppendReply>(bytes);
}

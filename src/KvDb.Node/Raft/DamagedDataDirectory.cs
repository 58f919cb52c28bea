// Turns a damaged data directory into one clear start-up message: which file, what is wrong
// with it, and what the operator should do.
// What DotNext 6.12's write-ahead log (<data-dir>/raft) checks by itself, and what it does not:
//  - At start-up it verifies the CRC32 of every entry after the snapshot, up to the last index
//    recorded in raft/checkpoint, and refuses to open (HashMismatchException,
//    MissingPageException) on the first mismatch; the exception names neither entry nor file.
//    Locate() repeats that check over the files to name them.
//  - It does not check raft/checkpoint (committed and last index) or raft/state (term and vote):
//    a truncated checkpoint is read as garbage or as an empty log, a truncated state file as
//    "term 0, no vote", both silently. CheckUnverifiedFiles() refuses those instead.
//  - Entries past the checkpoint's last index are ignored as unflushed, so a torn tail left by a
//    crash is never read: only damage inside the flushed log stops a member.
// Invariants:
//  - Nothing here writes: a member with damaged files stops and leaves them as they were.
//  - The on-disk layout read here is DotNext 6.12's with CRC32: metadata slots of 64 bytes
//    (32 bytes of metadata, or 40 with timestamps, then the 4-byte CRC32 of the entry's data
//    followed by that metadata) in 4 KiB pages raft/metadata/<n>, entry data in chunks
//    raft/data/<n> of RaftNode's chunk size.
//    If a future layout differs, Locate() finds nothing and the message falls back to DotNext's.
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using KvDb.Node.Hosting;

namespace KvDb.Node.Raft;

/// <summary>Finds and explains damage in a member's data directory.</summary>
public static class DamagedDataDirectory
{
    private const int MetadataPageSize = 4096;
    private const int MetadataSlotSize = 64;

    // DotNext writes term, [timestamp,] length, offset, flags, id; the timestamp is left out
    // unless the DotNext.IO.WriteAheadLog.IgnoreTimestamp switch is turned off (kvdb leaves it
    // on: 32 bytes). The CRC32 follows the metadata.
    private static readonly (int Size, int LengthAt, int OffsetAt)[] Layouts = [(32, 8, 16), (40, 16, 24)];
    private const int CheckpointSize = 20;
    private const int StateSize = 37;

    /// <summary>
    /// Checks the files of the Raft log in <paramref name="raftDirectory"/> that DotNext reads
    /// without verifying; returns what is wrong, or null when they look sound.
    /// </summary>
    public static string? CheckUnverifiedFiles(string raftDirectory)
    {
        var checkpoint = Path.Combine(raftDirectory, "checkpoint");
        var metadata = Path.Combine(raftDirectory, "metadata");
        var hasLog = Directory.Exists(metadata) && Directory.EnumerateFiles(metadata).Any();
        if (!File.Exists(checkpoint))
            return hasLog ? $"{Name(checkpoint)} is missing, although the log has entries: without it the log's last flushed index is unknown and the log would be read as empty" : null;

        var length = new FileInfo(checkpoint).Length;
        if (length is not (0 or CheckpointSize))
            return $"{Name(checkpoint)} is {length} bytes long instead of {CheckpointSize} (truncated or overwritten): the log's committed and last indices cannot be trusted";
        if (length == CheckpointSize && ReadCheckpoint(checkpoint) is not { } indices)
            return $"{Name(checkpoint)} does not hold a valid version 1 checkpoint (committed index at most last index, both not negative)";

        var state = Path.Combine(raftDirectory, "state");
        if (File.Exists(state) && new FileInfo(state).Length is var stateLength && stateLength != StateSize)
            return $"{Name(state)} is {stateLength} bytes long instead of {StateSize}: this member's term and vote are lost, and Raft must never forget a vote";
        return null;
    }

    /// <summary>
    /// Repeats DotNext's start-up verification of the entries after <paramref name="snapshotIndex"/>
    /// to name the first damaged entry and file; null when it finds nothing wrong.
    /// </summary>
    public static string? Locate(string raftDirectory, long snapshotIndex, int chunkSize)
    {
        try
        {
            if (ReadCheckpoint(Path.Combine(raftDirectory, "checkpoint")) is not { } indices)
                return null;

            Span<byte> slot = stackalloc byte[MetadataSlotSize];
            for (var index = snapshotIndex + 1; index <= indices.Last; index++)
            {
                var address = index * MetadataSlotSize;
                var metadataFile = Path.Combine(raftDirectory, "metadata", (address / MetadataPageSize).ToString(CultureInfo.InvariantCulture));
                if (ReadAt(metadataFile, address % MetadataPageSize, slot) is { } metadataProblem)
                    return $"{Name(metadataFile)} {metadataProblem} (it holds the metadata of entry {index})";

                // The entry is sound if it verifies in either metadata layout; report in the first.
                string? problem = null;
                foreach (var layout in Layouts)
                {
                    var verdict = Verify(raftDirectory, chunkSize, index, slot, layout, metadataFile);
                    if (verdict is null)
                    {
                        problem = null;
                        break;
                    }

                    problem ??= verdict;
                }

                if (problem is not null)
                    return problem;
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Checks one entry in one metadata layout: null when it is sound, else what is wrong.
    private static string? Verify(string raftDirectory, int chunkSize, long index, ReadOnlySpan<byte> slot, (int Size, int LengthAt, int OffsetAt) layout, string metadataFile)
    {
        var term = BinaryPrimitives.ReadInt64LittleEndian(slot);
        var length = BinaryPrimitives.ReadInt64LittleEndian(slot[layout.LengthAt..]);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(slot[layout.OffsetAt..]);
        if (length < 0 || length > int.MaxValue || offset < 0)
            return $"the metadata of entry {index} in {Name(metadataFile)} is corrupted (length {length}, offset {offset})";

        var data = new byte[length];
        for (var done = 0L; done < length;)
        {
            var position = offset + done;
            var chunkFile = Path.Combine(raftDirectory, "data", (position / chunkSize).ToString(CultureInfo.InvariantCulture));
            var part = (int)long.Min(length - done, chunkSize - position % chunkSize);
            if (ReadAt(chunkFile, position % chunkSize, data.AsSpan((int)done, part)) is { } dataProblem)
                return $"{Name(chunkFile)} {dataProblem} (it holds entry {index}, term {term}, {length} bytes at offset {offset % chunkSize})";
            done += part;
        }

        var crc = new Crc32();
        crc.Append(data);
        crc.Append(slot[..layout.Size]);
        Span<byte> hash = stackalloc byte[4];
        crc.GetHashAndReset(hash);
        if (hash.SequenceEqual(slot.Slice(layout.Size, 4)))
            return null;

        var chunk = Name(Path.Combine(raftDirectory, "data", (offset / chunkSize).ToString(CultureInfo.InvariantCulture)));
        return $"entry {index} (term {term}, {length} bytes at offset {offset % chunkSize} of {chunk}; metadata in {Name(metadataFile)}) fails its CRC32 check";
    }

    /// <summary>The one-line start-up message for damage found in this member's data directory.</summary>
    public static string Explain(string damage, NodeOptions options)
        => $"its data directory is damaged: {damage}. kvdb does not start from damaged files (dropping log entries or tables this member may have "
           + $"acknowledged could lose committed writes), and deletes nothing. To recover, if a majority of the other members is up: remove this member "
           + $"(curl -XDELETE http://<member>/v1/members/{options.Id}), move {options.DataDir} aside, add it back (curl -XPOST http://<member>/{options.Id} -d {options.PeerUrl}) "
           + $"and start it with --join and an empty --data-dir; it copies everything from the leader. If this member holds the only copy "
           + $"(a single-member cluster, or most members damaged), restore {options.DataDir} from a backup.";

    private static (long Committed, long Last)? ReadCheckpoint(string path)
    {
        Span<byte> bytes = stackalloc byte[CheckpointSize];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (file.Length != CheckpointSize || file.ReadAtLeast(bytes, CheckpointSize, throwOnEndOfStream: false) != CheckpointSize)
            return null;

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var committed = BinaryPrimitives.ReadInt64LittleEndian(bytes[4..]);
        var last = BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]);
        return version == 1 && committed >= 0 && last >= committed ? (committed, last) : null;
    }

    // Reads destination.Length bytes at position; says what is wrong with the file otherwise.
    private static string? ReadAt(string path, long position, Span<byte> destination)
    {
        if (!File.Exists(path))
            return "is missing";

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (file.Length < position + destination.Length)
            return $"is truncated ({file.Length} bytes; the log needs {position + destination.Length})";
        file.Position = position;
        file.ReadExactly(destination);
        return null;
    }

    private static string Name(string path) => $"'{path}'";
}

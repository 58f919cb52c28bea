// A backup file: a storage-engine checkpoint archive (CheckpointArchive, the same bytes members
// send each other when one catches up by snapshot) followed by a trailer that names it.
// Layout:
//   backup  = checkpoint archive | trailer
//   trailer = "KVDBBKT1" | json length u32 | manifest JSON (BackupManifest) | json length u32 |
//             CRC32 of everything in the trailer before it u32 | "KVDBBKE1"
// Invariants:
//  - The archive is written once, streaming, while its SHA-256 is computed; the manifest
//    carries that hash, so a backup verifies end to end without another copy of the hash.
//  - The archive checks itself (a CRC32 per entry, then every block of every table when it is
//    staged); the trailer adds the SHA-256 of the whole archive, its length and flush point.
//    A backup is only used after all of these passed.
//  - The length appears twice in the trailer, so it can be read from the start while streaming
//    and from the end of a file without reading the archive.
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using KvDb.Core.Storage;

namespace KvDb.Core.Backups;

/// <summary>What the writer of a backup knows about where it came from.</summary>
/// <param name="ClusterId">The cluster's id, or null when it has none yet.</param>
/// <param name="MemberId">The member serving the backup.</param>
/// <param name="KvdbVersion">The writing kvdb's version.</param>
public sealed record BackupOrigin(string? ClusterId, int? MemberId, string? KvdbVersion);

/// <summary>Writes and verifies backup files.</summary>
public static class BackupArchive
{
    /// <summary>The layout version written in every manifest.</summary>
    public const int FormatVersion = 1;

    private const int MaxManifestLength = 64 * 1024;
    private const int TailLength = 16;
    private static ReadOnlySpan<byte> TrailerMagic => "KVDBBKT1"u8;
    private static ReadOnlySpan<byte> EndMagic => "KVDBBKE1"u8;

    /// <summary>Streams <paramref name="checkpoint"/> and its trailer to <paramref name="destination"/>.</summary>
    /// <returns>The manifest written in the trailer.</returns>
    public static async Task<BackupManifest> WriteAsync(Stream destination, StorageCheckpoint checkpoint, BackupOrigin origin, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(checkpoint);
        BackupManifest manifest;
        using (var hashing = new HashingStream(destination, leaveOpen: true))
        {
            await checkpoint.WriteToAsync(hashing, token).ConfigureAwait(false);
            manifest = new BackupManifest
            {
                Revision = checkpoint.Index,
                Term = checkpoint.Term,
                ArchiveBytes = hashing.Count,
                Sha256 = hashing.CurrentHash(),
                CreatedAt = DateTimeOffset.UtcNow,
                ClusterId = origin.ClusterId,
                MemberId = origin.MemberId,
                KvdbVersion = origin.KvdbVersion,
            };
        }

        await destination.WriteAsync(EncodeTrailer(manifest), token).ConfigureAwait(false);
        await destination.FlushAsync(token).ConfigureAwait(false);
        return manifest;
    }

    /// <summary>
    /// Reads a backup from <paramref name="source"/> into <paramref name="engine"/>'s staging
    /// directory, verifying everything: the archive's checksums, every block of every table, the
    /// trailer, the archive's SHA-256 and length against it, and that nothing follows it.
    /// The engine's state is not touched; install the result with <see cref="StorageEngine.InstallStagedAsync"/>.
    /// </summary>
    /// <exception cref="BackupCorruptException">A check failed; nothing stays staged.</exception>
    public static async Task<(StagedCheckpoint Staged, BackupManifest Manifest)> StageAsync(Stream source, StorageEngine engine, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(engine);
        StagedCheckpoint staged;
        long archiveBytes;
        string sha256;
        using (var hashing = new HashingStream(source, leaveOpen: true))
        {
            try
            {
                staged = await engine.StageCheckpointAsync(hashing, token).ConfigureAwait(false);
            }
            catch (StorageCorruptionException e)
            {
                throw new BackupCorruptException($"the archive is damaged: {e.Message}", e);
            }

            archiveBytes = hashing.Count;
            sha256 = hashing.CurrentHash();
        }

        try
        {
            var manifest = await ReadTrailerAsync(source, token).ConfigureAwait(false);
            if (manifest.ArchiveBytes != archiveBytes)
                throw new BackupCorruptException($"the trailer says the archive has {manifest.ArchiveBytes} bytes; it has {archiveBytes}");
            if (!string.Equals(manifest.Sha256, sha256, StringComparison.Ordinal))
                throw new BackupCorruptException($"the archive's SHA-256 is {sha256}, the trailer says {manifest.Sha256}");
            if (manifest.Revision != staged.Index || manifest.Term != staged.Term)
                throw new BackupCorruptException($"the trailer names revision {manifest.Revision} (term {manifest.Term}), the archive holds {staged.Index} (term {staged.Term})");
            var extra = new byte[1];
            if (await source.ReadAsync(extra, token).ConfigureAwait(false) != 0)
                throw new BackupCorruptException("bytes follow the end of the backup");
            return (staged, manifest);
        }
        catch
        {
            staged.Dispose();
            throw;
        }
    }

    /// <summary>Reads the manifest from the end of a seekable backup, without reading the archive (no verification of it).</summary>
    /// <exception cref="BackupCorruptException">The trailer is missing or damaged.</exception>
    public static async Task<BackupManifest> ReadManifestFromEndAsync(Stream seekable, CancellationToken token)
    {
        if (seekable.Length < TailLength)
            throw new BackupCorruptException("the file is too short to be a kvdb backup");
        seekable.Seek(-TailLength, SeekOrigin.End);
        var tail = new byte[TailLength];
        await seekable.ReadExactlyAsync(tail, token).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (!tail.AsSpan(8).SequenceEqual(EndMagic) || length > MaxManifestLength || seekable.Length < TrailerLength(length))
            throw new BackupCorruptException("no kvdb backup trailer at the end (truncated, or not a backup made by kvdb snapshot save)");
        seekable.Seek(-TrailerLength(length), SeekOrigin.End);
        return await ReadTrailerAsync(seekable, token).ConfigureAwait(false);
    }

    /// <summary>The SHA-256 (lower-case hex) of the first <paramref name="count"/> bytes of <paramref name="source"/>.</summary>
    public static async Task<string> HashAsync(Stream source, long count, CancellationToken token)
    {
        using var hashing = new HashingStream(source, leaveOpen: true);
        var buffer = new byte[256 * 1024];
        while (count > 0)
        {
            var read = await hashing.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), token).ConfigureAwait(false);
            if (read == 0)
                throw new BackupCorruptException("the archive is truncated");
            count -= read;
        }

        return hashing.CurrentHash();
    }

    private static long TrailerLength(long jsonLength) => TrailerMagic.Length + sizeof(uint) + jsonLength + TailLength;

    private static byte[] EncodeTrailer(BackupManifest manifest)
    {
        var json = manifest.ToJson();
        var trailer = new byte[TrailerLength(json.Length)];
        var span = trailer.AsSpan();
        TrailerMagic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)json.Length);
        json.CopyTo(span[12..]);
        var tail = span[(12 + json.Length)..];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, (uint)json.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(tail[4..], Crc32.HashToUInt32(span[..(12 + json.Length + 4)]));
        EndMagic.CopyTo(tail[8..]);
        return trailer;
    }

    private static async Task<BackupManifest> ReadTrailerAsync(Stream source, CancellationToken token)
    {
        var head = await ReadAsync(source, TrailerMagic.Length + sizeof(uint), token).ConfigureAwait(false);
        if (!head.AsSpan(0, 8).SequenceEqual(TrailerMagic))
            throw new BackupCorruptException("no kvdb backup trailer after the archive (not a backup made by kvdb snapshot save, or damaged)");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(8));
        if (length > MaxManifestLength)
            throw new BackupCorruptException("the backup trailer is damaged (impossible length)");
        var rest = await ReadAsync(source, (int)length + TailLength, token).ConfigureAwait(false);
        var crc = new Crc32();
        crc.Append(head);
        crc.Append(rest.AsSpan(0, (int)length + sizeof(uint)));
        var tail = rest.AsSpan((int)length);
        if (BinaryPrimitives.ReadUInt32LittleEndian(tail) != length
            || BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]) != crc.GetCurrentHashAsUInt32()
            || !tail[8..].SequenceEqual(EndMagic))
        {
            throw new BackupCorruptException("the backup trailer fails its checksum");
        }

        try
        {
            var manifest = BackupManifest.FromJson(rest.AsSpan(0, (int)length));
            if (manifest.Format != FormatVersion)
                throw new BackupCorruptException($"backup format {manifest.Format} is not one this kvdb reads ({FormatVersion})");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new BackupCorruptException($"the backup manifest is not valid JSON: {e.Message}", e);
        }
    }

    private static async Task<byte[]> ReadAsync(Stream source, int count, CancellationToken token)
    {
        var bytes = new byte[count];
        try
        {
            await source.ReadExactlyAsync(bytes, token).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new BackupCorruptException("the backup is truncated (it ends inside or before its trailer)", e);
        }

        return bytes;
    }
}

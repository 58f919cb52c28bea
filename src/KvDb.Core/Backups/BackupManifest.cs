// What a backup says about itself: the JSON at the end of every backup file (BackupArchive).
// Invariants: Sha256 and ArchiveBytes describe exactly the checkpoint archive that precedes the
// trailer; Revision and Term are that archive's flush point (every key's revision is at most
// Revision, and the state holds every write committed up to it).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvDb.Core.Backups;

/// <summary>The self-description of a backup: its revision, where it came from and its hash.</summary>
public sealed record BackupManifest
{
    /// <summary>The version of the backup layout (1).</summary>
    public int Format { get; init; } = BackupArchive.FormatVersion;

    /// <summary>The Raft index (revision) of the state: every write committed up to it, nothing after.</summary>
    public long Revision { get; init; }

    /// <summary>The Raft term of the entry at <see cref="Revision"/>.</summary>
    public long Term { get; init; }

    /// <summary>The length in bytes of the checkpoint archive (the file less its trailer).</summary>
    public long ArchiveBytes { get; init; }

    /// <summary>The SHA-256 of the checkpoint archive, lower-case hex.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>When the backup was taken (the serving member's clock, UTC).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The id of the cluster it was taken from, or null when that cluster had none yet.</summary>
    public string? ClusterId { get; init; }

    /// <summary>The id of the member that served it.</summary>
    public int? MemberId { get; init; }

    /// <summary>The kvdb version that wrote it.</summary>
    public string? KvdbVersion { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The manifest as UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads a manifest written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">Not a manifest.</exception>
    public static BackupManifest FromJson(ReadOnlySpan<byte> json)
        => JsonSerializer.Deserialize<BackupManifest>(json, Json) ?? throw new JsonException("null manifest");
}

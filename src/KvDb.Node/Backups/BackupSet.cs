// How scheduled backups are named and kept in a store:
//   kvdb-<revision, 20 digits>-<UTC time yyyyMMddTHHmmssZ>.snapshot   one backup file each
//   latest                                                            JSON naming the newest
// Invariants:
//  - Names sort by revision, so the newest is last and retention keeps the last N.
//  - "latest" is written only after the backup it names is stored whole; a reader that follows
//    it always finds a complete backup (or, after a retention bug, a clear "missing" error).
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KvDb.Node.Backups;

/// <summary>The pointer object <c>latest</c>: which backup is the newest.</summary>
/// <param name="Name">The backup's object name in the same store.</param>
/// <param name="Revision">Its revision.</param>
/// <param name="CreatedAt">When it was taken.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Sha256">The SHA-256 of its archive.</param>
public sealed record LatestPointer(string Name, long Revision, DateTimeOffset CreatedAt, long Bytes, string Sha256);

/// <summary>Names, the latest pointer and retention of scheduled backups.</summary>
public static partial class BackupSet
{
    /// <summary>The name of the pointer object.</summary>
    public const string LatestName = "latest";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The object name of a backup at <paramref name="revision"/> taken at <paramref name="at"/>.</summary>
    public static string Name(long revision, DateTimeOffset at)
        => $"kvdb-{revision.ToString("D20", CultureInfo.InvariantCulture)}-{at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.snapshot";

    /// <summary>True for names <see cref="Name"/> makes.</summary>
    public static bool IsBackupName(string name) => BackupNamePattern().IsMatch(name);

    /// <summary>The pointer as stored.</summary>
    public static byte[] Encode(LatestPointer latest) => JsonSerializer.SerializeToUtf8Bytes(latest, Json);

    /// <summary>Reads the pointer in <paramref name="store"/>; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The pointer is not valid JSON naming a backup.</exception>
    public static async Task<LatestPointer?> ReadLatestAsync(IBackupStore store, CancellationToken token)
    {
        await using var stream = await store.OpenAsync(LatestName, token).ConfigureAwait(false);
        if (stream is null)
            return null;
        try
        {
            var pointer = await JsonSerializer.DeserializeAsync<LatestPointer>(stream, Json, token).ConfigureAwait(false);
            return pointer is { Name: { } name } && IsBackupName(name)
                ? pointer
                : throw new InvalidDataException($"{store.Description}/{LatestName} does not name a backup");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{store.Description}/{LatestName} is not a backup pointer: {e.Message}", e);
        }
    }

    /// <summary>Deletes all but the newest <paramref name="retain"/> backups (never the one <paramref name="keep"/> names); returns the names deleted.</summary>
    public static async Task<IReadOnlyList<string>> PruneAsync(IBackupStore store, int retain, string keep, CancellationToken token)
    {
        var names = (await store.ListAsync(token).ConfigureAwait(false)).Where(IsBackupName).Order(StringComparer.Ordinal).ToList();
        var doomed = names.Take(Math.Max(0, names.Count - retain)).Where(n => n != keep).ToList();
        foreach (var name in doomed)
            await store.DeleteAsync(name, token).ConfigureAwait(false);
        return doomed;
    }

    [GeneratedRegex(@"^kvdb-[0-9]{20}-[0-9]{8}T[0-9]{6}Z\.snapshot$")]
    private static partial Regex BackupNamePattern();
}

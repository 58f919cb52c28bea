// Opens the backup a command names: a file path, file:///dir/NAME, or s3://bucket/prefix/NAME,
// where NAME "latest" follows the pointer scheduled backups keep (BackupSet), and a directory
// (a file:// store) means its latest.
// Invariant: the stream returned is the backup's bytes as stored; nothing here verifies them
// (BackupArchive does, whole, before anything is used).
namespace KvDb.Node.Backups;

/// <summary>Opens a backup by location.</summary>
public static class BackupSource
{
    /// <summary>Opens <paramref name="text"/>; returns the stream and the location it really read (after following "latest").</summary>
    /// <exception cref="FileNotFoundException">No such backup (the message names what is missing).</exception>
    /// <exception cref="FormatException">Not a location.</exception>
    public static async Task<(Stream Stream, string Source)> OpenAsync(string text, string? s3Endpoint, CancellationToken token)
    {
        var location = BackupLocation.Parse(text, allowPath: true);
        if (location.Kind is BackupStoreKind.File && Directory.Exists(location.Root))
            location = location.Child(BackupSet.LatestName);

        var (parent, name) = location.Split();
        if (name.Length == 0)
            throw new FormatException($"'{text}' names no backup: end it with /latest or with a backup's name");

        using var store = BackupStores.Open(parent, s3Endpoint);
        if (name == BackupSet.LatestName)
        {
            var pointer = await BackupSet.ReadLatestAsync(store, token).ConfigureAwait(false)
                ?? throw new FileNotFoundException($"{store.Description} has no '{BackupSet.LatestName}' pointer: no scheduled backup was stored there");
            name = pointer.Name;
        }

        var stream = await store.OpenAsync(name, token).ConfigureAwait(false)
            ?? throw new FileNotFoundException($"{parent.Child(name)} does not exist");
        return (stream, parent.Child(name).ToString());
    }
}

// Turns a backup into the data directory of a member of a new cluster (as etcd's snapshot
// restore does), and reads a backup's contents for `kvdb snapshot status`.
// Invariants:
//  - Nothing is written to the data directory unless the whole backup verified (BackupArchive);
//    a failed restore removes the directory it created.
//  - The restored state is the backup's state at revision R, plus one entry at R+1 (term 0)
//    that replaces the membership map with the new members (ids 1..N from --cluster) and gives
//    the cluster a new id (ClusterId.ForRestore). It is flushed: the member starts from it as
//    from a snapshot, and its Raft log (empty) begins after it, so revisions keep growing.
//  - Term 0 at R+1: every restored member has the same last (index, term), and any term a new
//    leader is elected in is above it, so Raft's up-to-date check stays sound (keeping the old
//    cluster's term would let a member holding only the restored state win an election against
//    members with newer entries of lower terms).
using System.Text;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Core.Storage;

namespace KvDb.Core.Backups;

/// <summary>What a restore made.</summary>
/// <param name="Manifest">The backup's manifest.</param>
/// <param name="Revision">The restored state's Raft index (the backup's revision + 1).</param>
/// <param name="ClusterId">The new cluster's id.</param>
/// <param name="Keys">User keys restored.</param>
public sealed record RestoredState(BackupManifest Manifest, long Revision, string ClusterId, long Keys);

/// <summary>What a backup holds, after verifying all of it.</summary>
/// <param name="Manifest">The backup's manifest.</param>
/// <param name="Keys">User keys in it.</param>
/// <param name="Leases">Leases in it.</param>
/// <param name="Keyspaces">List keyspaces in it.</param>
/// <param name="Lists">Lists (keys of keyspaces) in it.</param>
/// <param name="ListItems">List items in it.</param>
/// <param name="Members">The membership map it carries (the cluster it came from).</param>
public sealed record BackupSummary(BackupManifest Manifest, long Keys, long Leases, long Keyspaces, long Lists, long ListItems, IReadOnlyDictionary<int, string> Members);

/// <summary>Restores backups into data directories and inspects them.</summary>
public static class BackupRestore
{
    /// <summary>The storage engine's folder inside a member's data directory.</summary>
    public const string EngineFolder = "db";

    /// <summary>
    /// Verifies the backup read from <paramref name="source"/> and writes from it the data
    /// directory <paramref name="dataDir"/> (which must be missing or empty) of a member of a new
    /// cluster whose members are <paramref name="peerUrls"/> (ids 1..N).
    /// </summary>
    /// <exception cref="BackupCorruptException">The backup failed a check; nothing was left behind.</exception>
    /// <exception cref="IOException">The data directory is not empty.</exception>
    public static async Task<RestoredState> RestoreAsync(Stream source, string dataDir, IReadOnlyList<string> peerUrls, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfZero(peerUrls.Count);
        dataDir = Path.GetFullPath(dataDir);
        var created = !Directory.Exists(dataDir);
        if (!created && Directory.EnumerateFileSystemEntries(dataDir).Any())
            throw new IOException($"the data directory '{dataDir}' is not empty; a restore makes a new member's directory and overwrites nothing");

        try
        {
            using var engine = StorageEngine.Open(Path.Combine(dataDir, EngineFolder), new StorageOptions());
            var (staged, manifest) = await BackupArchive.StageAsync(source, engine, token).ConfigureAwait(false);
            using (staged)
                await engine.InstallStagedAsync(staged).ConfigureAwait(false);

            var clusterId = ClusterId.ForRestore(manifest.Sha256, peerUrls);
            var batch = new WriteBatch();
            long keys;
            using (var view = engine.OpenView())
            {
                foreach (var (key, _) in view.Scan(StoreKeys.Start(StoreKeys.Member), StoreKeys.End(StoreKeys.Member)))
                    batch.Delete(key);
                keys = Count(view, StoreKeys.User);
            }

            for (var i = 0; i < peerUrls.Count; i++)
                batch.Put(StoreKeys.ForMember(i + 1), Encoding.UTF8.GetBytes(peerUrls[i]));
            batch.Put(ClusterId.Key, Encoding.UTF8.GetBytes(clusterId));
            engine.Apply(batch, manifest.Revision + 1, term: 0);
            await engine.FlushAsync(token).ConfigureAwait(false);
            return new RestoredState(manifest, manifest.Revision + 1, clusterId, keys);
        }
        catch when (created)
        {
            TryDelete(dataDir);
            throw;
        }
        catch (BackupCorruptException)
        {
            // The directory was empty before: leave it empty.
            foreach (var entry in Directory.EnumerateFileSystemEntries(dataDir))
                TryDelete(entry);
            throw;
        }
    }

    /// <summary>Verifies the backup read from <paramref name="source"/> whole (in a temporary directory) and counts what it holds.</summary>
    /// <exception cref="BackupCorruptException">The backup failed a check.</exception>
    public static async Task<BackupSummary> InspectAsync(Stream source, CancellationToken token)
    {
        var scratch = Directory.CreateTempSubdirectory("kvdb-snapshot-status-").FullName;
        try
        {
            using var engine = StorageEngine.Open(scratch, new StorageOptions());
            var (staged, manifest) = await BackupArchive.StageAsync(source, engine, token).ConfigureAwait(false);
            using (staged)
                await engine.InstallStagedAsync(staged).ConfigureAwait(false);
            using var view = engine.OpenView();
            return new BackupSummary(
                manifest,
                Count(view, StoreKeys.User),
                Count(view, StoreKeys.Lease),
                Count(view, ListStore.Keyspaces),
                Count(view, ListStore.Metas),
                Count(view, ListStore.Items),
                MembershipMap.Read(view));
        }
        finally
        {
            TryDelete(scratch);
        }
    }

    private static long Count(StorageView view, byte space)
    {
        long count = 0;
        foreach (var _ in view.Scan(StoreKeys.Start(space), StoreKeys.End(space)))
            count++;
        return count;
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
            else
                File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

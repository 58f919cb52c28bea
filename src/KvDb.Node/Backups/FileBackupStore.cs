// Backups in a directory (file:///dir): each object is a file, written under a temporary name,
// fsynced and renamed, so a reader never sees a partial one.
namespace KvDb.Node.Backups;

/// <summary>An <see cref="IBackupStore"/> in a local directory (created when missing).</summary>
public sealed class FileBackupStore(string directory) : IBackupStore
{
    private const string PartSuffix = ".part";

    /// <inheritdoc/>
    public string Description => "file://" + directory;

    /// <inheritdoc/>
    public async Task PutFileAsync(string name, string path, CancellationToken token)
    {
        Directory.CreateDirectory(directory);
        var part = Path.Combine(directory, name + PartSuffix);
        await using (var source = File.OpenRead(path))
        await using (var target = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await source.CopyToAsync(target, token).ConfigureAwait(false);
            target.Flush(flushToDisk: true);
        }

        File.Move(part, Path.Combine(directory, name), overwrite: true);
    }

    /// <inheritdoc/>
    public async Task PutBytesAsync(string name, byte[] content, CancellationToken token)
    {
        Directory.CreateDirectory(directory);
        var part = Path.Combine(directory, name + PartSuffix);
        await using (var target = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await target.WriteAsync(content, token).ConfigureAwait(false);
            target.Flush(flushToDisk: true);
        }

        File.Move(part, Path.Combine(directory, name), overwrite: true);
    }

    /// <inheritdoc/>
    public Task<Stream?> OpenAsync(string name, CancellationToken token)
    {
        var path = Path.Combine(directory, name);
        return Task.FromResult<Stream?>(File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan) : null);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListAsync(CancellationToken token)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"the backup directory '{directory}' does not exist");
        IReadOnlyList<string> names = [.. Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().Where(static n => !n.EndsWith(PartSuffix, StringComparison.Ordinal))];
        return Task.FromResult(names);
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string name, CancellationToken token)
    {
        File.Delete(Path.Combine(directory, name));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}

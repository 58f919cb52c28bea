// A place backups are kept: a directory or an S3 prefix, seen as a flat set of named objects.
// Invariants: a name is one path segment; PutFileAsync makes the object appear whole or not at
// all (a reader never sees half a backup under its final name).
namespace KvDb.Node.Backups;

/// <summary>A flat store of named objects (a directory, or the keys under an S3 prefix).</summary>
public interface IBackupStore : IDisposable
{
    /// <summary>The store, for messages (<c>s3://bucket/prefix</c>, <c>file:///dir</c>).</summary>
    string Description { get; }

    /// <summary>Stores the file at <paramref name="path"/> as <paramref name="name"/>.</summary>
    Task PutFileAsync(string name, string path, CancellationToken token);

    /// <summary>Stores <paramref name="content"/> as <paramref name="name"/>, replacing it.</summary>
    Task PutBytesAsync(string name, byte[] content, CancellationToken token);

    /// <summary>Opens <paramref name="name"/> for reading; null when there is no such object.</summary>
    Task<Stream?> OpenAsync(string name, CancellationToken token);

    /// <summary>The names of the objects in the store.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken token);

    /// <summary>Deletes <paramref name="name"/> (nothing happens when it does not exist).</summary>
    Task DeleteAsync(string name, CancellationToken token);
}

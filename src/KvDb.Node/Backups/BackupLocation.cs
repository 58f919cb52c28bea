// Where backups go or come from: an S3 bucket and key prefix (s3://bucket/prefix), or a local
// directory (file:///dir, or a plain path on the command line).
// Invariants: a parsed location is valid (bucket name present, directory absolute for file://);
// Prefix never starts or ends with '/', and is "" for the bucket's root.
namespace KvDb.Node.Backups;

/// <summary>The kind of store a <see cref="BackupLocation"/> names.</summary>
public enum BackupStoreKind
{
    /// <summary>A directory on this machine.</summary>
    File,

    /// <summary>An S3 (or S3-compatible) bucket.</summary>
    S3,
}

/// <summary>A backup store and a place in it.</summary>
/// <param name="Kind">File or S3.</param>
/// <param name="Root">The directory (absolute) or the bucket.</param>
/// <param name="Prefix">For S3, the key prefix without slashes at either end; "" for files.</param>
public sealed record BackupLocation(BackupStoreKind Kind, string Root, string Prefix)
{
    /// <summary>Parses <c>s3://bucket[/prefix]</c>, <c>file:///dir</c>, or (with <paramref name="allowPath"/>) a plain path.</summary>
    /// <exception cref="FormatException">Not a location; the message is one line.</exception>
    public static BackupLocation Parse(string text, bool allowPath = false)
    {
        if (text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = text[5..].Trim('/');
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var bucket = slash < 0 ? rest : rest[..slash];
            var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
            if (bucket.Length is < 3 or > 63 || bucket.Any(static c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')))
                throw new FormatException($"'{text}': an S3 location is s3://bucket/prefix, with a bucket name of 3 to 63 lower-case letters, digits, '-' and '.'");
            return new BackupLocation(BackupStoreKind.S3, bucket, prefix);
        }

        if (text.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !uri.IsFile || !Path.IsPathRooted(uri.LocalPath) || uri.Host.Length > 0)
                throw new FormatException($"'{text}': a directory location is file:///absolute/dir");
            return new BackupLocation(BackupStoreKind.File, Path.TrimEndingDirectorySeparator(uri.LocalPath), "");
        }

        if (allowPath && text.Length > 0 && !text.Contains("://", StringComparison.Ordinal))
            return new BackupLocation(BackupStoreKind.File, Path.TrimEndingDirectorySeparator(Path.GetFullPath(text)), "");

        throw new FormatException($"'{text}' is not s3://bucket/prefix or file:///dir");
    }

    /// <summary>The location one level down: <paramref name="name"/> inside this one.</summary>
    public BackupLocation Child(string name) => Kind is BackupStoreKind.S3
        ? this with { Prefix = Prefix.Length == 0 ? name : Prefix + "/" + name }
        : this with { Root = Path.Combine(Root, name) };

    /// <summary>The location one level up and the last segment (the object or file name).</summary>
    public (BackupLocation Parent, string Name) Split()
    {
        if (Kind is BackupStoreKind.S3)
        {
            var slash = Prefix.LastIndexOf('/');
            return slash < 0 ? (this with { Prefix = "" }, Prefix) : (this with { Prefix = Prefix[..slash] }, Prefix[(slash + 1)..]);
        }

        return (this with { Root = Path.GetDirectoryName(Root) ?? "/" }, Path.GetFileName(Root));
    }

    /// <inheritdoc/>
    public override string ToString() => Kind is BackupStoreKind.S3
        ? $"s3://{Root}/{Prefix}".TrimEnd('/')
        : "file://" + Root;
}

namespace KvDb.Node.Writes;

/// <summary>
/// A write was refused before it was proposed because a member's data directory is low on free
/// space (<c>--min-free-disk</c>); nothing was applied. Becomes 507 Insufficient Storage.
/// </summary>
public sealed class InsufficientStorageException(string reason) : Exception(reason);

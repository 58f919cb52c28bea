// The kinds of operation a transaction branch holds.

namespace KvDb.Client;

/// <summary>What a <see cref="TxnOp"/> does.</summary>
public enum TxnOpKind
{
    /// <summary>Stores a value under a key.</summary>
    Put,

    /// <summary>Removes one key.</summary>
    Delete,

    /// <summary>Removes every key of a range (or prefix).</summary>
    DeleteRange,

    /// <summary>Reads one key.</summary>
    Get,

    /// <summary>Reads the keys of a range (or prefix), up to a limit.</summary>
    Range,
}

// What a transaction's comparison looks at in a key (the "target" of POST /v1/txn's "if").

namespace KvDb.Client;

/// <summary>The part of a key a <see cref="TxnComparison"/> compares.</summary>
public enum TxnTarget
{
    /// <summary>The revision of the key's last write; 0 when the key does not exist.</summary>
    Revision,

    /// <summary>The revision that created the key (its first write since it last did not exist); 0 when absent.</summary>
    CreateRevision,

    /// <summary>The writes since the key was created (1 after the first); 0 when absent.</summary>
    Version,

    /// <summary>The value, compared byte by byte as UTF-8 text; an absent key's value only satisfies <c>!=</c>.</summary>
    Value,

    /// <summary>Whether the key exists (with <c>==</c> or <c>!=</c> only).</summary>
    Exists,

    /// <summary>How many keys a range holds (range comparisons only: <c>Compare.Prefix("p/").Count == 3</c>).</summary>
    Count,
}

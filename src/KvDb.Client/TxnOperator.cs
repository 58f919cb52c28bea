// How a transaction's comparison compares (the "op" of POST /v1/txn's "if").

namespace KvDb.Client;

/// <summary>The operator of a <see cref="TxnComparison"/>.</summary>
public enum TxnOperator
{
    /// <summary><c>==</c></summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>&lt;</c></summary>
    Less,

    /// <summary><c>&gt;</c></summary>
    Greater,
}

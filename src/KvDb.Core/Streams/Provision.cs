// What a create-or-replace of a basin or stream did, as S2's s2-provision-result header says it.
namespace KvDb.Core.Streams;

/// <summary>What a put of a basin or stream did.</summary>
public enum Provision : byte
{
    /// <summary>It did not exist and was created.</summary>
    Created,

    /// <summary>It existed and its configuration was replaced.</summary>
    Updated,

    /// <summary>It existed as asked (the same configuration, or a create retried with the same request token).</summary>
    Unchanged,
}

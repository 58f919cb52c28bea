// How fresh a read must be; the two levels kvdb's ?consistency= offers.

namespace KvDb.Client;

/// <summary>How fresh a read must be.</summary>
public enum ReadConsistency
{
    /// <summary>Sees every write acknowledged before the read began, whichever member answers (the default).</summary>
    Linearizable,

    /// <summary>The answering member's applied state, at once: faster, but may lag the leader, and two such reads may go back in time.</summary>
    Local,
}

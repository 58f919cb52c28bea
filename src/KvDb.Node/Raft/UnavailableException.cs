namespace KvDb.Node.Raft;

/// <summary>
/// The cluster cannot serve the request right now (no leader, no quorum, timed out); the client
/// should retry. Becomes 503 with Retry-After (a FeatureUnavailableException: 409).
/// </summary>
public class UnavailableException(string reason, bool outcomeUnknown = false, Exception? inner = null)
    : Exception(reason, inner)
{
    /// <summary>True when a write may or may not have been applied (it reached the log but its commit was not seen).</summary>
    public bool OutcomeUnknown { get; } = outcomeUnknown;
}

// The leader of an election as GET /v1/elections/{name} and its observe stream describe it.
// (KvLeader is the Raft leader of the cluster, in KvMemberStatus.)
// Invariant: Revision is the leader key's create revision; a change of value keeps it.

namespace KvDb.Client;

/// <summary>The leader of an election.</summary>
/// <param name="Key">Its key (under <c>_elections/{name}/</c>).</param>
/// <param name="Value">The value it campaigned with, or last proclaimed.</param>
/// <param name="Revision">Its key's create revision: increases from leader to leader.</param>
/// <param name="Lease">The lease its key is attached to.</param>
public sealed record KvElectionLeader(string Key, string Value, long Revision, long Lease);

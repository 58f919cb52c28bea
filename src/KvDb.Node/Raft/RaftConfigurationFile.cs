// DotNext's Raft configuration (the set of voting members' endpoints), kept in a file in the
// data directory so that it survives restarts and log compaction.
// Invariants:
//  - The file is only replaced by a newer configuration version (DotNext's rule), written to
//    a temporary file and renamed.
//  - On a member's first start it is seeded from --cluster, except with --join: a joining
//    member starts with no configuration and waits until the leader sends it one.
using System.Net;
using DotNext.Buffers;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace KvDb.Node.Raft;

/// <summary>A persistent store of the Raft configuration, addressed by IP endpoints.</summary>
public sealed class RaftConfigurationFile(string path) : PersistentClusterConfigurationStorage<EndPoint>(path)
{
    /// <summary>The file's path.</summary>
    public string Path { get; } = path;

    /// <summary>True when no configuration was ever saved here: the member has never been started.</summary>
    public bool IsEmpty => !File.Exists(Path);

    /// <summary>Saves the first configuration: the given members, as version 0.</summary>
    public async Task SeedAsync(IEnumerable<EndPoint> members, CancellationToken token)
    {
        IClusterConfigurationStorage<EndPoint> storage = this;
        var configuration = await storage.LoadConfigurationAsync(token).ConfigureAwait(false);
        foreach (var member in members)
            configuration = configuration.Add(member);
        await ((IClusterConfigurationStorage)this).SaveConfigurationAsync(configuration, 0L, token).ConfigureAwait(false);
    }

    /// <summary>The members of the saved configuration.</summary>
    public async Task<IReadOnlyCollection<EndPoint>> LoadMembersAsync(CancellationToken token)
    {
        IClusterConfigurationStorage<EndPoint> storage = this;
        return (await storage.LoadConfigurationAsync(token).ConfigureAwait(false)).Members;
    }

    /// <inheritdoc/>
    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> writer)
        => EndPointFormatter.WriteEndPoint(ref writer, address);

    /// <inheritdoc/>
    protected override EndPoint Decode(ref SequenceReader reader)
        => EndPointFormatter.ReadEndPoint(ref reader);
}

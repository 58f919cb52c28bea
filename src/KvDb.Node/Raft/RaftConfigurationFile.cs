// DotNext's Raft configuration (the set of voting members' peer URLs), kept in a file in the
// data directory so that it survives restarts and log compaction.
// Invariants:
//  - The file is only replaced by a newer configuration version (DotNext's rule), written to
//    a temporary file and renamed.
//  - On a member's first start it is seeded from --cluster, except with --join: a joining
//    member starts with no configuration and waits until the leader sends it one.
//  - Members are named by URI (DotNext.AspNetCore.Cluster's addressing), compared as URIs, so
//    a member is one peer URL, never whatever its host name resolved to at some moment.
using DotNext.Buffers;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.AspNetCore.Connections;

namespace KvDb.Node.Raft;

/// <summary>A persistent store of the Raft configuration, addressed by peer URIs.</summary>
public sealed class RaftConfigurationFile(string path) : PersistentClusterConfigurationStorage<UriEndPoint>(path)
{
    /// <summary>The file's path.</summary>
    public string Path { get; } = path;

    /// <summary>True when no configuration was ever saved here: the member has never been started.</summary>
    public bool IsEmpty => !File.Exists(Path);

    /// <summary>Saves the first configuration: the given members, as version 0.</summary>
    public async Task SeedAsync(IEnumerable<UriEndPoint> members, CancellationToken token)
    {
        IClusterConfigurationStorage<UriEndPoint> storage = this;
        var configuration = await storage.LoadConfigurationAsync(token).ConfigureAwait(false);
        foreach (var member in members)
            configuration = configuration.Add(member);
        await ((IClusterConfigurationStorage)this).SaveConfigurationAsync(configuration, 0L, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override IEqualityComparer<UriEndPoint> Comparer => UriEndPointComparer.Instance;

    /// <inheritdoc/>
    protected override void Encode(UriEndPoint address, ref BufferWriterSlim<byte> writer)
        => EndPointFormatter.WriteEndPoint(ref writer, address);

    /// <inheritdoc/>
    protected override UriEndPoint Decode(ref SequenceReader reader)
        => (UriEndPoint)EndPointFormatter.ReadEndPoint(ref reader);
}

/// <summary>Compares Raft endpoints by their URI (UriEndPoint itself compares references).</summary>
public sealed class UriEndPointComparer : IEqualityComparer<UriEndPoint>
{
    /// <summary>The one instance.</summary>
    public static UriEndPointComparer Instance { get; } = new();

    /// <inheritdoc/>
    public bool Equals(UriEndPoint? x, UriEndPoint? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.Uri == y.Uri);

    /// <inheritdoc/>
    public int GetHashCode(UriEndPoint obj) => obj.Uri.GetHashCode();
}

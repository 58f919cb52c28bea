// The S2 streams API on kvdb's lists: basins, streams and records under /v1, spoken the way
// S2's SDKs and CLI expect (see docs/api/s2.md).
using KvDb.Node.HttpKit;

namespace KvDb.Node.Streams;

/// <summary>Registers the S2 streams API.</summary>
public sealed class StreamsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Streams";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Lists"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services) => StreamInstruments.Publish();

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapBasinEndpoints();
        endpoints.MapStreamEndpoints();
        endpoints.MapRecordEndpoints();
        endpoints.MapUnsupportedEndpoints();
    }
}

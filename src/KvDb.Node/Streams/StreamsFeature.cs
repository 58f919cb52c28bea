// The S2 streams API on kvdb's lists: basins, streams and records under /v1, spoken the way
// S2's SDKs and CLI expect (see docs/api/s2.md).
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Streams;

/// <summary>Registers the S2 streams API.</summary>
public sealed class StreamsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Streams";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Lists"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        StreamInstruments.Publish();
        services.AddSingleton<IOptions<StreamsOptions>>(static sp => Options.Create(sp.GetRequiredService<NodeOptions>().Streams));
        services.AddSingleton<StreamRetention>();
        services.AddHostedService(static sp => sp.GetRequiredService<StreamRetention>());
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        // One group without a prefix, so that every S2 route carries S2's codes for the refusals
        // the auth gate makes before a handler runs (S2's SDK and CLI read `code`).
        var s2 = endpoints.MapGroup("").WithMetadata(S2Error.RefusalCodes);
        s2.MapBasinEndpoints();
        s2.MapStreamEndpoints();
        s2.MapRecordEndpoints();
        s2.MapUnsupportedEndpoints();
    }
}

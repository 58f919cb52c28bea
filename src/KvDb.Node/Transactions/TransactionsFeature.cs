// The transactions feature: POST /v1/txn.
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Transactions;

/// <summary>Registers the transactions feature.</summary>
public sealed class TransactionsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Transactions";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Leases"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        TxnInstruments.Publish();
        services.AddOptions<TxnOptions>().Configure<NodeOptions>(static (transactions, node) => transactions.MaxOps = node.MaxTxnOps);
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapTxnEndpoints();
    }
}

// Where the writers' appends go: kvdb through KvDb.Client in the bridge, a fake in unit tests.
using KvDb.Client;

namespace KvDb.Kafka;

/// <summary>Appends to lists and creates keyspaces.</summary>
internal interface IListSink
{
    /// <summary>Appends <paramref name="items"/> to list <paramref name="key"/> of <paramref name="keyspace"/>, as <see cref="KvClient.AppendAsync(string, string, IEnumerable{ListAppendItem}, CancellationToken)"/> does.</summary>
    ValueTask<ListAppendResult> AppendAsync(string keyspace, string key, IReadOnlyList<ListAppendItem> items, CancellationToken token);

    /// <summary>Creates a keyspace; false when it existed.</summary>
    ValueTask<bool> CreateKeyspaceAsync(string keyspace, CancellationToken token);
}

/// <summary>The sink over a <see cref="KvClient"/>.</summary>
internal sealed class KvClientSink(KvClient client) : IListSink
{
    /// <inheritdoc/>
    public ValueTask<ListAppendResult> AppendAsync(string keyspace, string key, IReadOnlyList<ListAppendItem> items, CancellationToken token)
        => client.AppendAsync(keyspace, key, items, token);

    /// <inheritdoc/>
    public ValueTask<bool> CreateKeyspaceAsync(string keyspace, CancellationToken token)
        => client.CreateKeyspaceAsync(keyspace, token);
}

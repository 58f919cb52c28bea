// kvdb's root API as a benchmark target: put is PUT /{key} with the value as the body (204,
// with the write's revision in X-Kvdb-Revision), get is GET /{key} (200 with the value, 404 when
// absent), with ?consistency=local for local reads; txn is POST /v1/txn comparing the key's
// version and putting it and the next key (200 with "succeeded": true); append is POST
// /v1/lists/bench/{key} with one item, in the keyspace "bench" that Prepare creates; lease is
// POST /v1/leases {"ttl": "60s"} (201). Invariants: every URI is absolute on one endpoint; keys
// are "bench-NNN", which need no percent-encoding; one URI per key and endpoint is built once
// and reused.
using System.Globalization;
using System.Net;

namespace KvDb.Bench;

/// <summary>Requests against kvdb's <c>/{key}</c> API.</summary>
public sealed class KvdbProtocol : BenchProtocol
{
    /// <summary>The header of kvdb's answers that carries the key's revision (also sent as a strong ETag).</summary>
    public const string RevisionHeader = "X-Kvdb-Revision";

    private static readonly byte[] LeaseBody = "{\"ttl\":\"60s\"}"u8.ToArray();

    private readonly KeyedCache<Uri>[] putUris;
    private readonly KeyedCache<Uri>[] getUris;
    private readonly ReadOnlyMemory<byte> value;
    private readonly Uri[] txnUris;
    private readonly KeyedCache<byte[]> txnBodies;
    private readonly KeyedCache<Uri>[] appendUris;
    private readonly byte[] appendBody;
    private readonly Uri[] leaseUris;
    private readonly IReadOnlyList<Uri> endpoints;

    /// <summary>A protocol for <paramref name="endpoints"/> over <paramref name="keys"/>.</summary>
    public KvdbProtocol(IReadOnlyList<Uri> endpoints, KeySpace keys, BenchConsistency consistency)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        value = keys.Value;
        txnUris = [.. endpoints.Select(static e => new Uri(e, "v1/txn"))];
        leaseUris = [.. endpoints.Select(static e => new Uri(e, "v1/leases"))];
        var text = System.Text.Encoding.ASCII.GetString(keys.Value);
        txnBodies = new KeyedCache<byte[]>(keys.Count, i => System.Text.Encoding.UTF8.GetBytes(
            $"{{\"if\":[{{\"key\":\"{keys.Key(i)}\",\"target\":\"version\",\"op\":\"<\",\"value\":1000000000000}}],\"then\":[{{\"put\":{{\"key\":\"{keys.Key(i)}\",\"value\":\"{text}\"}}}},{{\"put\":{{\"key\":\"{keys.Key((i + 1) % keys.Count)}\",\"value\":\"{text}\"}}}}]}}"));
        this.endpoints = endpoints;
        appendBody = System.Text.Encoding.UTF8.GetBytes($"{{\"items\":[{{\"value\":\"{text}\"}}]}}");
        appendUris = [.. endpoints.Select(e => new KeyedCache<Uri>(keys.Count, i => new Uri(e, "v1/lists/bench/" + keys.Key(i))))];
        putUris = new KeyedCache<Uri>[endpoints.Count];
        getUris = new KeyedCache<Uri>[endpoints.Count];
        var query = consistency is BenchConsistency.Local ? "?consistency=local" : "";
        for (var e = 0; e < endpoints.Count; e++)
        {
            var endpoint = endpoints[e];
            putUris[e] = new KeyedCache<Uri>(keys.Count, i => new Uri(endpoint, keys.Key(i)));
            // Linearizable reads share the put URIs; local ones carry the query.
            getUris[e] = query.Length == 0 ? putUris[e] : new KeyedCache<Uri>(keys.Count, i => new Uri(endpoint, keys.Key(i) + query));
        }
    }

    /// <inheritdoc/>
    public override string? RequestMediaType => "application/octet-stream";

    /// <inheritdoc/>
    public override IEnumerable<HttpRequestMessage> Setup(OperationMix mix)
        => mix.Has(OperationKind.Append) ? [new HttpRequestMessage(HttpMethod.Put, new Uri(endpoints[0], "v1/keyspaces/bench"))] : [];

    /// <inheritdoc/>
    public override HttpRequestMessage CreateRequest(OperationKind kind, int key, int endpoint, ReusableContent body)
    {
        if (kind is OperationKind.Get)
            return Request(HttpMethod.Get, getUris[endpoint].Get(key), null);
        if (kind is OperationKind.Txn)
        {
            body.Set(txnBodies.Get(key));
            return Request(HttpMethod.Post, txnUris[endpoint], body);
        }

        if (kind is OperationKind.Append)
        {
            body.Set(appendBody);
            return Request(HttpMethod.Post, appendUris[endpoint].Get(key), body);
        }

        if (kind is OperationKind.Lease)
        {
            body.Set(LeaseBody);
            return Request(HttpMethod.Post, leaseUris[endpoint], body);
        }

        // Every put stores the same value, so this is a no-op after the worker's first put.
        body.Set(value);
        return Request(HttpMethod.Put, putUris[endpoint].Get(key), body);
    }

    /// <inheritdoc/>
    public override RequestOutcome Classify(OperationKind kind, HttpStatusCode status, ReadOnlySpan<byte> bodyPrefix) => (kind, status) switch
    {
        (OperationKind.Put, HttpStatusCode.NoContent or HttpStatusCode.OK) => RequestOutcome.Success,
        (OperationKind.Get, HttpStatusCode.OK) => RequestOutcome.Success,
        (OperationKind.Get, HttpStatusCode.NotFound) => RequestOutcome.NotFound,
        (OperationKind.Txn or OperationKind.Append, HttpStatusCode.OK) => RequestOutcome.Success,
        (OperationKind.Lease, HttpStatusCode.Created) => RequestOutcome.Success,
        _ => RequestOutcome.Error,
    };

    /// <inheritdoc/>
    public override long Revision(HttpResponseMessage response)
        => response.Headers.NonValidated.TryGetValues(RevisionHeader, out var values)
           && long.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var revision)
            ? revision
            : 0;
}

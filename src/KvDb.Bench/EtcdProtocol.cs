// etcd's v3 JSON gateway (grpc-gateway) as a benchmark target, for comparison with kvdb:
// put is POST /v3/kv/put {"key": base64, "value": base64}; get is POST /v3/kv/range
// {"key": base64}, plus "serializable": true for a local read (etcd's name for a read served
// by the member from its own state without a quorum round). etcd 3.4 serves both /v3/ and the
// deprecated /v3beta/; 3.5 and later only /v3/. txn is POST /v3/kv/txn comparing the key's
// version and putting it and the next key on success; lease is POST /v3/lease/grant
// {"TTL": 60}. Invariants: request bodies are built once per key and reused; a range answer
// without "kvs" is a not-found (the gateway leaves out empty fields), anything but 200 is an
// error.
using System.Net;
using System.Text;

namespace KvDb.Bench;

/// <summary>Requests against etcd's <c>/v3/kv/put</c> and <c>/v3/kv/range</c>.</summary>
public sealed class EtcdProtocol : BenchProtocol
{
    /// <summary>The path of the put call.</summary>
    public const string PutPath = "v3/kv/put";

    /// <summary>The path of the range (get) call.</summary>
    public const string RangePath = "v3/kv/range";

    /// <summary>The path of the txn call.</summary>
    public const string TxnPath = "v3/kv/txn";

    /// <summary>The path of the lease grant call.</summary>
    public const string LeaseGrantPath = "v3/lease/grant";

    private static readonly byte[] KvsField = "\"kvs\""u8.ToArray();

    private static readonly byte[] LeaseBody = "{\"TTL\":60}"u8.ToArray();

    private readonly Uri[] putUris;
    private readonly Uri[] rangeUris;
    private readonly KeyedCache<byte[]> putBodies;
    private readonly KeyedCache<byte[]> rangeBodies;
    private readonly Uri[] txnUris;
    private readonly KeyedCache<byte[]> txnBodies;
    private readonly Uri[] leaseUris;

    /// <summary>A protocol for <paramref name="endpoints"/> over <paramref name="keys"/>.</summary>
    public EtcdProtocol(IReadOnlyList<Uri> endpoints, KeySpace keys, BenchConsistency consistency)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        putUris = new Uri[endpoints.Count];
        rangeUris = new Uri[endpoints.Count];
        for (var e = 0; e < endpoints.Count; e++)
        {
            putUris[e] = new Uri(endpoints[e], PutPath);
            rangeUris[e] = new Uri(endpoints[e], RangePath);
        }

        txnUris = [.. endpoints.Select(static e => new Uri(e, TxnPath))];
        leaseUris = [.. endpoints.Select(static e => new Uri(e, LeaseGrantPath))];
        var value = Convert.ToBase64String(keys.Value);
        txnBodies = new KeyedCache<byte[]>(keys.Count, i => Encoding.UTF8.GetBytes(
            $"{{\"compare\":[{{\"key\":\"{Convert.ToBase64String(keys.KeyBytes(i))}\",\"target\":\"VERSION\",\"result\":\"LESS\",\"version\":\"1000000000000\"}}],"
            + $"\"success\":[{{\"requestPut\":{{\"key\":\"{Convert.ToBase64String(keys.KeyBytes(i))}\",\"value\":\"{value}\"}}}},{{\"requestPut\":{{\"key\":\"{Convert.ToBase64String(keys.KeyBytes((i + 1) % keys.Count))}\",\"value\":\"{value}\"}}}}]}}"));
        var serializable = consistency is BenchConsistency.Local ? ",\"serializable\":true" : "";
        putBodies = new KeyedCache<byte[]>(keys.Count, i => PutBody(keys.KeyBytes(i), value));
        rangeBodies = new KeyedCache<byte[]>(keys.Count, i => Encoding.UTF8.GetBytes($"{{\"key\":\"{Convert.ToBase64String(keys.KeyBytes(i))}\"{serializable}}}"));
    }

    /// <summary>The JSON body of a put of <paramref name="key"/> with the base64 <paramref name="base64Value"/>.</summary>
    public static byte[] PutBody(byte[] key, string base64Value)
        => Encoding.UTF8.GetBytes($"{{\"key\":\"{Convert.ToBase64String(key)}\",\"value\":\"{base64Value}\"}}");

    /// <inheritdoc/>
    public override string? RequestMediaType => "application/json";

    /// <inheritdoc/>
    public override HttpRequestMessage CreateRequest(OperationKind kind, int key, int endpoint, ReusableContent body)
    {
        if (kind is OperationKind.Get)
        {
            body.Set(rangeBodies.Get(key));
            return Request(HttpMethod.Post, rangeUris[endpoint], body);
        }

        if (kind is OperationKind.Txn)
        {
            body.Set(txnBodies.Get(key));
            return Request(HttpMethod.Post, txnUris[endpoint], body);
        }

        if (kind is OperationKind.Lease)
        {
            body.Set(LeaseBody);
            return Request(HttpMethod.Post, leaseUris[endpoint], body);
        }

        body.Set(putBodies.Get(key));
        return Request(HttpMethod.Post, putUris[endpoint], body);
    }

    /// <inheritdoc/>
    public override RequestOutcome Classify(OperationKind kind, HttpStatusCode status, ReadOnlySpan<byte> bodyPrefix)
    {
        if (status is not HttpStatusCode.OK)
            return RequestOutcome.Error;
        if (kind is OperationKind.Get && bodyPrefix.IndexOf(KvsField) < 0)
            return RequestOutcome.NotFound;
        return RequestOutcome.Success;
    }
}

// Blocking forms of get, put and delete, for callers whose interface has synchronous methods
// that must not wait on a task (IDistributedCache.Get/Set/Remove, a configuration load): they go
// through RequestPipeline.Send, which speaks HTTP/1.1 with HttpClient.Send and blocks on the
// socket only, so no synchronisation context or thread-pool starvation can deadlock them.
// Invariant: same failover, retries, Idempotency-Key and errors as the async forms.
using System.Net;
using System.Text;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>Reads <paramref name="key"/>, blocking the calling thread (HTTP/1.1, never waiting on a task). Prefer <see cref="GetAsync"/>.</summary>
    /// <inheritdoc cref="GetAsync"/>
    public KvEntry? Get(string key, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        ThrowIfDisposed();
        var query = ConsistencyQuery(consistency);
        return pipeline.Send(
            pipeline.Begin("get"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, KeyPaths.KeyUri(baseUri, key, query)),
            (response, attemptToken) =>
            {
                if (response.StatusCode is HttpStatusCode.NotFound)
                    return null;
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw ProblemAnswer.Read(response, attemptToken).ToException(key);
                using var stream = response.Content.ReadAsStream(attemptToken);
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                return new KvEntry(key, buffer.ToArray(), RevisionOf(response) ?? 0);
            },
            token);
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, blocking the calling thread (HTTP/1.1, never waiting on a task). Prefer <see cref="PutAsync(string, byte[], KvWriteOptions?, CancellationToken)"/>.</summary>
    /// <inheritdoc cref="PutAsync(string, byte[], KvWriteOptions?, CancellationToken)"/>
    public long Put(string key, byte[] value, KvWriteOptions? options = null, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        ArgumentNullException.ThrowIfNull(value);
        options?.LeaseQuery();
        ThrowIfDisposed();
        return Write(HttpMethod.Put, key, value, options, token)
            ?? throw new KvException(HttpStatusCode.NoContent, "No revision", "The member acknowledged the put without X-Kvdb-Revision.");
    }

    /// <summary>Stores <paramref name="value"/>, as UTF-8, blocking the calling thread.</summary>
    /// <inheritdoc cref="Put(string, byte[], KvWriteOptions?, CancellationToken)"/>
    public long Put(string key, string value, KvWriteOptions? options = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Put(key, Encoding.UTF8.GetBytes(value), options, token);
    }

    /// <summary>Removes <paramref name="key"/>, blocking the calling thread (HTTP/1.1, never waiting on a task). Prefer <see cref="DeleteAsync"/>.</summary>
    /// <inheritdoc cref="DeleteAsync"/>
    public long? Delete(string key, KvWriteOptions? options = null, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        if (options is { Lease: not null } or { Ttl: not null })
            throw new ArgumentException("A delete takes no lease or TTL.", nameof(options));
        ThrowIfDisposed();
        return Write(HttpMethod.Delete, key, null, options, token);
    }

    private long? Write(HttpMethod method, string key, byte[]? value, KvWriteOptions? options, CancellationToken token)
    {
        var idempotencyKey = options?.IdempotencyKey ?? Guid.NewGuid().ToString("N");
        return pipeline.Send(
            pipeline.Begin(method == HttpMethod.Put ? "put" : "delete", idempotencyKey),
            WriteRequest(method, key, value, idempotencyKey, options),
            (response, attemptToken) => WriteAnswered(response, value, out var revision)
                ? revision
                : throw WriteRefused(response, ProblemAnswer.Read(response, attemptToken), key, options),
            token);
    }
}

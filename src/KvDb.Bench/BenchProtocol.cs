// How a benchmark operation becomes an HTTP request for one target, and how its answer is
// judged. Invariants: CreateRequest does no per-key formatting or encoding once a key has been
// used (per-key URIs and bodies are cached), and Classify never throws: any answer is a
// success, a not-found or an error.
using System.Net;

namespace KvDb.Bench;

/// <summary>The wire protocol of one benchmark target.</summary>
public abstract class BenchProtocol
{
    /// <summary>The Content-Type of request bodies, or null for none.</summary>
    public abstract string? RequestMediaType { get; }

    /// <summary>Builds the request for <paramref name="kind"/> on key <paramref name="key"/> against endpoint <paramref name="endpoint"/>; a body goes through <paramref name="body"/>.</summary>
    public abstract HttpRequestMessage CreateRequest(OperationKind kind, int key, int endpoint, ReusableContent body);

    /// <summary>Judges an answer from its status and the first bytes of its body.</summary>
    public abstract RequestOutcome Classify(OperationKind kind, HttpStatusCode status, ReadOnlySpan<byte> bodyPrefix);

    /// <summary>The revision a successful put's answer reports, or 0 when it reports none (watch mode reads it).</summary>
    public virtual long Revision(HttpResponseMessage response) => 0;

    /// <summary>Requests to send once before the run (e.g. creating the list keyspace); any answer but a 5xx is fine.</summary>
    public virtual IEnumerable<HttpRequestMessage> Setup(OperationMix mix) => [];

    /// <summary>The protocol of <paramref name="options"/>' target.</summary>
    public static BenchProtocol For(BenchOptions options, KeySpace keys) => options.Target switch
    {
        BenchTarget.Kvdb => new KvdbProtocol(options.Endpoints, keys, options.Consistency),
        BenchTarget.Etcd => new EtcdProtocol(options.Endpoints, keys, options.Consistency),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Target, "unknown target"),
    };

    /// <summary>A request for HTTP/1.1 exactly, which both targets speak; <see cref="BenchClient"/> sets the version --http-version asks for.</summary>
    protected static HttpRequestMessage Request(HttpMethod method, Uri uri, HttpContent? content) => new(method, uri)
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Content = content,
    };
}

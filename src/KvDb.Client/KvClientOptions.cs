// What a KvClient is told: the members to talk to, how long to wait, how to prove who it is
// and what to trust, and where to log and count.
// Invariants: the options are read once, when a KvClient is made (it validates and copies
// them); changing them afterwards changes nothing for that client.
using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace KvDb.Client;

/// <summary>Settings of a <see cref="KvClient"/>.</summary>
/// <remarks>
/// Only <see cref="Endpoints"/> is required. A client made from these options validates them and
/// keeps a copy; later changes to this object do not affect it.
/// </remarks>
public class KvClientOptions
{
    /// <summary>The client URLs of the cluster's members (their <c>--port</c>), e.g. <c>http://127.0.0.1:12380</c>.</summary>
    /// <remarks>Requests are spread over them; a member that is down or answers <c>503</c> is left for the next.</remarks>
    public IList<Uri> Endpoints { get; set; } = [];

    /// <summary>How long one HTTP request to one member may take before the client gives up on it and tries another. Default 10 s.</summary>
    /// <remarks>Keep it above the members' <c>--request-timeout</c> (5 s by default), so a member can answer <c>503</c> first.</remarks>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one operation keeps trying (across members and retries) before it fails with
    /// <see cref="KvUnavailableException"/>. Default 30 s. A watch allows this long to reconnect each time it loses its member.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long making one connection to a member may take before the try fails and the next member is tried; null (default) for <see cref="RequestTimeout"/>.</summary>
    /// <remarks>A member whose host is down may never refuse a connection: this bounds the wait for one that cannot be reached, apart from the wait for an answer.</remarks>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>
    /// How long an operation keeps trying while no member accepts a connection (every try refused,
    /// or its connection not made within <see cref="ConnectTimeout"/>) before it fails with
    /// <see cref="KvUnavailableException"/>; null (default) for <see cref="OperationTimeout"/>.
    /// </summary>
    /// <remarks>
    /// Once any member accepts a connection during the operation, it gets the whole
    /// <see cref="OperationTimeout"/>: a member that answers slowly or <c>503</c> is there, a
    /// refused connection is not. A try that starts just before this passes may still take up
    /// to <see cref="ConnectTimeout"/> to fail. Streams that reconnect after losing their member
    /// (watches, follows) and lease keep-alives bounded by the lease's TTL keep their whole time.
    /// The CLI sets it to 3 s with a 2 s <see cref="ConnectTimeout"/>, so it exits within about 5 s.
    /// </remarks>
    public TimeSpan? UnreachableTimeout { get; set; }

    /// <summary>How long a member that refused a connection or timed out is left alone before it is tried again; doubles for each further failure, up to 5 s. Default 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Whether requests go over HTTP/2 (default true): over <c>http://</c> with prior knowledge
    /// (h2c), over <c>https://</c> as TLS negotiates it. Concurrent requests to a member then share
    /// one connection instead of taking one each. False for HTTP/1.1, e.g. through a proxy that
    /// forwards only HTTP/1.1 on plain HTTP.
    /// </summary>
    /// <remarks>Members serve both on their client port. The blocking calls of configuration providers use HTTP/1.1 either way.</remarks>
    public bool Http2 { get; set; } = true;

    /// <summary>The name for HTTP Basic credentials (with <see cref="Password"/>); null for none.</summary>
    public string? UserName { get; set; }

    /// <summary>The password of <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>A token from <c>POST /v1/auth/token</c>, sent as <c>Authorization: Bearer</c>; null for none. Not with <see cref="UserName"/>.</summary>
    public string? Token { get; set; }

    /// <summary>A PEM file of the CA certificate(s) that members' https certificates must chain to; null to use the machine's trusted roots (or <see cref="TrustedCaCertificates"/>).</summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>CA certificates that members' https certificates must chain to (added to those of <see cref="TrustedCaFile"/>).</summary>
    public X509Certificate2Collection? TrustedCaCertificates { get; set; }

    /// <summary>A certificate (with its private key) to present to members that require one (<c>--client-cert-auth</c>).</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>A PEM file with the client certificate, as an alternative to <see cref="ClientCertificate"/>; needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>The PEM file with the unencrypted private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>Where the client logs failovers, retries and watch reconnects; null for no logging (with dependency injection, the container's factory).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Makes the client's <see cref="System.Diagnostics.Metrics.Meter"/> (named <c>KvDb.Client</c>); null for a shared one (with dependency injection, the container's factory).</summary>
    public IMeterFactory? MeterFactory { get; set; }
}

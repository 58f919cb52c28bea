// The settings every client command shares, read from the global flags (or their KVDB_*
// environment variables): which members, how to prove who we are and what to trust, the output
// format, and how long to keep trying.
// Invariant: with no member accepting connections a command gives up within about 5 s
// (UnreachableTimeout plus one last ConnectTimeout), whatever --timeout says; a member that
// accepts gets the whole --timeout.
using KvDb.Client;

namespace KvDb.Cli;

/// <summary>What the global flags of a client command say.</summary>
internal sealed record CliSettings(
    IReadOnlyList<Uri> Endpoints,
    string? UserName,
    string? Password,
    string? Token,
    string? TrustedCaFile,
    string? CertFile,
    string? KeyFile,
    OutputFormat Output,
    TimeSpan Timeout)
{
    /// <summary>How long one connection may take to be made (etcdctl's dial timeout is 2 s too).</summary>
    public static readonly TimeSpan ConnectLimit = TimeSpan.FromSeconds(2);

    /// <summary>How long a command keeps trying while no member accepts a connection; with a last <see cref="ConnectLimit"/> it stays within 5 s.</summary>
    public static readonly TimeSpan UnreachableLimit = TimeSpan.FromSeconds(3);

    /// <summary>The client options these settings make: one try may take up to 10 s (less when the whole timeout is shorter); refused connections end the command after <see cref="UnreachableLimit"/>.</summary>
    public KvClientOptions ClientOptions() => new()
    {
        Endpoints = [.. Endpoints],
        UserName = UserName,
        Password = Password,
        Token = Token,
        TrustedCaFile = TrustedCaFile,
        ClientCertificateFile = CertFile,
        ClientKeyFile = KeyFile,
        OperationTimeout = Timeout,
        RequestTimeout = Timeout < TimeSpan.FromSeconds(10) ? Timeout : TimeSpan.FromSeconds(10),
        ConnectTimeout = Timeout < ConnectLimit ? Timeout : ConnectLimit,
        UnreachableTimeout = UnreachableLimit,

        // A command sends its requests one at a time, so HTTP/2's shared connection buys
        // nothing, and HTTP/1.1 also passes a proxy that forwards nothing else.
        Http2 = false,
    };
}

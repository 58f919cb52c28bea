// The settings every client command shares, read from the global flags (or their KVDB_*
// environment variables): which members, how to prove who we are and what to trust, the output
// format, and how long to keep trying.
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
    /// <summary>The client options these settings make: one try may take up to 10 s (less when the whole timeout is shorter).</summary>
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
    };
}

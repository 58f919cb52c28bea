// Peer authentication without TLS: every member holds the same secret (--peer-token-file) and
// every member-to-member request carries proof of it in X-Kvdb-Peer-Token.
// Invariants:
//  - The proof is HMAC-SHA256 of a fixed label keyed with the secret, base64: the secret itself
//    never crosses the network, and the header is the same on every request, so DotNext's Raft
//    messages and kvdb's /internal/ calls carry it alike (a DelegatingHandler on both clients).
//  - Without TLS anyone who can read the traffic can replay the proof; it keeps out whoever can
//    merely connect to the peer port (see docs/operations/security.md).
//  - The proof is compared in constant time. The secret is the file's contents with surrounding
//    whitespace trimmed; an empty secret is refused (at start-up, and as a reload).
//  - A custom header, not Authorization, so it cannot collide with anything DotNext sends.
using System.Security.Cryptography;
using System.Text;

namespace KvDb.Node.Security;

/// <summary>The shared peer secret, its proof, and the check of a received proof.</summary>
public sealed class PeerToken
{
    /// <summary>The request header carrying the proof.</summary>
    public const string HeaderName = "X-Kvdb-Peer-Token";

    private static readonly byte[] Label = "kvdb peer token v1"u8.ToArray();

    private readonly ReloadingFile<Proof> file;

    private PeerToken(ReloadingFile<Proof> file) => this.file = file;

    /// <summary>The secret's file, for logging and tests.</summary>
    public ReloadingFile<Proof> File => file;

    /// <summary>The proof to send with a request.</summary>
    public string Current => file.Current.Text;

    /// <summary>Reads the secret from <paramref name="path"/>; it is read again when the file changes.</summary>
    /// <exception cref="InvalidDataException">The file cannot be read or is empty.</exception>
    public static PeerToken Open(string path, TimeSpan? interval = null)
        => new(ReloadingFile<Proof>.Open($"peer secret (--peer-token-file {path})", [path], files => Prove(files[0], path), interval));

    /// <summary>The proof of a secret given as the contents of its file.</summary>
    public static Proof Prove(byte[] contents, string path)
    {
        var secret = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(contents).Trim());
        if (secret.Length == 0)
            throw new InvalidDataException($"'{path}' is empty; put the secret all members share in it (e.g. openssl rand -hex 32 > {path})");
        var text = Convert.ToBase64String(HMACSHA256.HashData(secret, Label));
        return new Proof(text, Encoding.ASCII.GetBytes(text));
    }

    /// <summary>True when <paramref name="received"/> is the proof of the current secret.</summary>
    public bool Accepts(string? received)
    {
        if (string.IsNullOrEmpty(received) || received.Length > 256)
            return false;
        var expected = file.Current.Bytes;
        Span<byte> bytes = stackalloc byte[received.Length];
        var written = Encoding.ASCII.GetBytes(received, bytes);
        return CryptographicOperations.FixedTimeEquals(bytes[..written], expected);
    }

    /// <summary>A proof, as sent and as bytes to compare.</summary>
    public sealed record Proof(string Text, byte[] Bytes);
}

/// <summary>Adds the peer proof to every request of a member-to-member HTTP client.</summary>
public sealed class PeerTokenHandler(PeerToken token) : PeerHeaderHandler
{
    /// <inheritdoc/>
    protected override string HeaderName => PeerToken.HeaderName;

    /// <inheritdoc/>
    protected override string? Value => token.Current;
}

// A value read from one or more files (a certificate and its key, a CA bundle, the peer
// secret) that follows the files when they change, so certificates and secrets rotate without
// a restart.
// Invariants:
//  - The files are looked at on use, at most once per check interval (a second by default):
//    a TLS handshake or a request costs a clock read, and once a second one read of a few small
//    files. The value changes when the files' contents change (compared by hash, so a rotation
//    is seen whatever the files' timestamps say, e.g. after cp -p or a restore).
//  - The value is always the last one that loaded: files that are missing, half written or do
//    not load (a certificate written before its key) leave it in place. That is logged once per
//    distinct failure, not once per check; the next good contents replace it and say so.
//  - Open reads the files at once and throws if they do not load, so a member never starts
//    without a usable value.
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Node.Security;

/// <summary>A value loaded from files, reloaded when their contents change.</summary>
/// <typeparam name="T">What the files hold once parsed.</typeparam>
public sealed partial class ReloadingFile<T>
    where T : class
{
    private readonly string what;
    private readonly string[] paths;
    private readonly Func<byte[][], T> parse;
    private readonly long intervalMs;
    private readonly Lock gate = new();
    private T current;
    private byte[] fingerprint;
    private long nextCheck;
    private string? lastFailure;
    private ILogger logger = NullLogger.Instance;

    private ReloadingFile(string what, string[] paths, Func<byte[][], T> parse, TimeSpan interval, T first, byte[] fingerprint)
    {
        this.what = what;
        this.paths = paths;
        this.parse = parse;
        intervalMs = (long)interval.TotalMilliseconds;
        current = first;
        this.fingerprint = fingerprint;
        nextCheck = Environment.TickCount64 + intervalMs;
    }

    /// <summary>Where reloads and failures are logged; set once the host's logging exists.</summary>
    public ILogger Logger
    {
        get => logger;
        set => logger = value;
    }

    /// <summary>How many times a changed file was loaded since <see cref="Open"/> (for tests and logs).</summary>
    public int Reloads { get; private set; }

    /// <summary>
    /// Reads <paramref name="paths"/> and parses their contents with <paramref name="parse"/>,
    /// which throws <see cref="InvalidDataException"/> with a one-line reason when they do not hold a value.
    /// </summary>
    /// <param name="what">What the files are, for messages: "the peer certificate (--peer-cert-file)".</param>
    /// <exception cref="InvalidDataException">A file cannot be read or does not load; the message is one line.</exception>
    [SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "Callers name what they load (ReloadingFile<X509Certificate2>.Open), so T is never left to inference; the factory needs the private constructor.")]
    public static ReloadingFile<T> Open(string what, IReadOnlyList<string> paths, Func<byte[][], T> parse, TimeSpan? interval = null)
    {
        var contents = Read([.. paths]);
        return new ReloadingFile<T>(what, [.. paths], parse, interval ?? TimeSpan.FromSeconds(1), Parse(parse, contents), Hash(contents));
    }

    /// <summary>The current value, after looking at the files if the check interval has passed.</summary>
    public T Current
    {
        get
        {
            if (Environment.TickCount64 >= Volatile.Read(ref nextCheck))
                Check();
            return Volatile.Read(ref current);
        }
    }

    /// <summary>Looks at the files now, whatever the interval; another thread already looking is not waited for.</summary>
    public void Check()
    {
        if (!gate.TryEnter())
            return;
        try
        {
            Volatile.Write(ref nextCheck, Environment.TickCount64 + intervalMs);
            byte[][] contents;
            try
            {
                contents = Read(paths);
            }
            catch (InvalidDataException e)
            {
                Failed(e.Message);
                return;
            }

            var hash = Hash(contents);
            if (hash.AsSpan().SequenceEqual(fingerprint))
                return;

            try
            {
                var value = Parse(parse, contents);
                fingerprint = hash;
                Volatile.Write(ref current, value);
                Reloads++;
                lastFailure = null;
                LogReloaded(what);
            }
            catch (InvalidDataException e)
            {
                Failed(e.Message);
            }
        }
        finally
        {
            gate.Exit();
        }
    }

    private void Failed(string reason)
    {
        if (string.Equals(reason, lastFailure, StringComparison.Ordinal))
            return;
        lastFailure = reason;
        LogKeptPrevious(what, reason);
    }

    private static T Parse(Func<byte[][], T> parse, byte[][] contents)
    {
        try
        {
            return parse(contents);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw new InvalidDataException(OneLine(e.Message));
        }
    }

    private static byte[][] Read(string[] paths)
    {
        var contents = new byte[paths.Length][];
        for (var i = 0; i < paths.Length; i++)
        {
            try
            {
                contents[i] = File.ReadAllBytes(paths[i]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"cannot read '{paths[i]}': {OneLine(e.Message)}");
            }
        }

        return contents;
    }

    private static byte[] Hash(byte[][] contents)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var content in contents)
        {
            hash.AppendData(BitConverter.GetBytes(content.Length));
            hash.AppendData(content);
        }

        return hash.GetHashAndReset();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the changed files of {What}")]
    private partial void LogReloaded(string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keeping the previous {What}: its files changed but do not load ({Reason}); fix them and they are picked up within a second")]
    private partial void LogKeptPrevious(string what, string reason);
}

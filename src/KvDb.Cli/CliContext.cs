// What a running client command has: its console, its settings, one KvClient made on first use
// (and disposed with the context), and the ways to print results and failures.
// Invariants: results go to Out only and messages to Error only, each prefixed "kvdb: ";
// writers are synchronized, since a command under a lock copies its child's output from
// other threads.
using System.Text;
using System.Text.Json;
using KvDb.Client;

namespace KvDb.Cli;

/// <summary>A client command's console, settings and client.</summary>
internal sealed class CliContext(CliConsole console, CliSettings settings) : IAsyncDisposable
{
    private KvClient? client;

    /// <summary>The console.</summary>
    public CliConsole Console { get; } = console with { Out = TextWriter.Synchronized(console.Out), Error = TextWriter.Synchronized(console.Error) };

    /// <summary>The global settings.</summary>
    public CliSettings Settings => settings;

    /// <summary>True for -o json.</summary>
    public bool Json => settings.Output is OutputFormat.Json;

    /// <summary>Results.</summary>
    public TextWriter Out => Console.Out;

    /// <summary>The client of the cluster, made on first use.</summary>
    /// <exception cref="ArgumentException">A certificate file cannot be read.</exception>
    public KvClient Client => client ??= new KvClient(settings.ClientOptions());

    /// <summary>Writes "kvdb: <paramref name="message"/>" to stderr and returns <paramref name="exitCode"/>.</summary>
    public int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine("kvdb: " + message);
        return exitCode;
    }

    /// <summary>Writes one line of JSON, made by <paramref name="write"/>, to stdout.</summary>
    public void WriteJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(json);
        Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        Out.Flush();
    }

    /// <summary>Writes a line of text to stdout, flushed (streams are read as they come).</summary>
    public void WriteLine(string text)
    {
        Out.WriteLine(text);
        Out.Flush();
    }

    /// <summary>Writes <paramref name="value"/> as kvdb does: <c>name</c> when it is UTF-8 text, else <c>nameBase64</c>.</summary>
    public static void WriteValue(Utf8JsonWriter json, string name, byte[] value)
    {
        if (IsUtf8(value))
            json.WriteString(name, Encoding.UTF8.GetString(value));
        else
            json.WriteBase64String(name + "Base64", value);
    }

    /// <summary><paramref name="value"/> as kvdb's "value" (UTF-8 text) or "valueBase64" field of a contract record.</summary>
    public static (string? Text, byte[]? Bytes) ValueFields(byte[] value)
        => IsUtf8(value) ? (Encoding.UTF8.GetString(value), null) : (null, value);

    /// <summary>The value as text (invalid UTF-8 replaced: -o json keeps the bytes).</summary>
    public static string Text(byte[] value) => Encoding.UTF8.GetString(value);

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static bool IsUtf8(byte[] value)
    {
        try
        {
            StrictUtf8.GetCharCount(value);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (client is not null)
            await client.DisposeAsync().ConfigureAwait(false);
    }
}

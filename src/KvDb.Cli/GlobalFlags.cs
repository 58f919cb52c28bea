// The flags every client command takes, each with a KVDB_* environment variable that it falls
// back to: --endpoints, --user, --token, --cacert, --cert, --key, -o/--output, --timeout.
// Invariants: declared once, here, for parsing and --help alike; each validates its own value
// (files must exist); Read refuses the combinations that cannot work (--user with --token,
// --cert without --key).
using System.CommandLine;
using KvDb.Flags;

namespace KvDb.Cli;

/// <summary>The global flags of the client commands.</summary>
internal sealed class GlobalFlags
{
    /// <summary>The member a command talks to when told nothing: the Procfile's first.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:12380";

    public GlobalFlags(Func<string, string?> environment)
    {
        Endpoints = new Flag<List<Uri>>("endpoints", "URLS", DefaultEndpoint, "Comma-separated client URLs of the members; requests fail over between them.", ParseEndpoints)
            .FromEnvironment("KVDB_ENDPOINTS", environment);
        User = new Flag<string?>("user", "NAME:PASSWORD", "none", "HTTP Basic credentials.", ParseUser, defaultValue: static () => null)
            .FromEnvironment("KVDB_USER", environment);
        Token = new Flag<string?>("token", "TOKEN", "none", "A token from POST /v1/auth/token, sent as Authorization: Bearer.", ParseToken, defaultValue: static () => null)
            .FromEnvironment("KVDB_TOKEN", environment);
        CaCert = new Flag<string?>("cacert", "FILE", "the system's roots", "PEM CA certificate(s) the members' https certificates must chain to.", text => ExistingFile("cacert", text), defaultValue: static () => null)
            .FromEnvironment("KVDB_CACERT", environment);
        Cert = new Flag<string?>("cert", "FILE", "none", "PEM client certificate, for members run with --client-cert-auth (with --key).", text => ExistingFile("cert", text), defaultValue: static () => null)
            .FromEnvironment("KVDB_CERT", environment);
        Key = new Flag<string?>("key", "FILE", "none", "PEM private key (unencrypted) of --cert.", text => ExistingFile("key", text), defaultValue: static () => null)
            .FromEnvironment("KVDB_KEY", environment);
        Output = new Flag<OutputFormat>("output", "text|json", "text", "-o: text for people and simple scripts, json for one JSON document (a JSON object per line for watch, observe and keepalive).", ParseOutput)
            .FromEnvironment("KVDB_OUTPUT", environment);
        Output.Aliases.Add("-o");
        Timeout = new Flag<TimeSpan>("timeout", "DURATION", "30s", "How long a request keeps trying the members before the command gives up (exit code 3); while no member accepts a connection it gives up after 3 s.", ParseTimeout)
            .FromEnvironment("KVDB_TIMEOUT", environment);
    }

    public Flag<List<Uri>> Endpoints { get; }
    public Flag<string?> User { get; }
    public Flag<string?> Token { get; }
    public Flag<string?> CaCert { get; }
    public Flag<string?> Cert { get; }
    public Flag<string?> Key { get; }
    public Flag<OutputFormat> Output { get; }
    public Flag<TimeSpan> Timeout { get; }

    /// <summary>Every global flag, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags => [Endpoints, User, Token, CaCert, Cert, Key, Output, Timeout];

    /// <summary>Adds the global flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var flag in Flags)
            command.Add((Option)flag);
    }

    /// <summary>The settings of a parse that has no errors.</summary>
    /// <exception cref="FormatException">--user and --token are both given, or --cert without --key (or the reverse).</exception>
    public CliSettings Read(ParseResult result)
    {
        var user = result.GetValue(User);
        var token = result.GetValue(Token);
        if (user is not null && token is not null)
            throw new FormatException("--user and --token both say who you are; give one of them");
        var cert = result.GetValue(Cert);
        var key = result.GetValue(Key);
        if ((cert is null) != (key is null))
            throw new FormatException("--cert and --key go together");
        var colon = user?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        var endpoints = result.GetValue(Endpoints) is { Count: > 0 } given ? given : ParseEndpoints(DefaultEndpoint);
        return new CliSettings(endpoints, user?[..colon], user?[(colon + 1)..], token, result.GetValue(CaCert), cert, key, result.GetValue(Output), result.GetValue(Timeout));
    }

    /// <summary>Parses a comma-separated list of http(s) base URLs.</summary>
    public static List<Uri> ParseEndpoints(string text)
    {
        var endpoints = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
                throw new FormatException($"--endpoints entry '{part}' is not a base URL like {DefaultEndpoint}");
            endpoints.Add(new Uri(uri.GetLeftPart(UriPartial.Authority) + "/"));
        }

        return endpoints.Count > 0 ? endpoints : throw new FormatException($"--endpoints needs at least one URL like {DefaultEndpoint}");
    }

    private static string ParseUser(string text)
        => text.IndexOf(':', StringComparison.Ordinal) > 0 && !text.Any(char.IsControl)
            ? text
            : throw new FormatException("--user needs NAME:PASSWORD (a non-empty name, a colon, then the password)");

    private static string ParseToken(string text)
        => text.Length > 0 && !text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            ? text
            : throw new FormatException("--token needs a token without spaces or control characters");

    private static string ExistingFile(string flag, string path)
        => File.Exists(path) ? path : throw new FormatException($"--{flag} '{path}': no such file");

    private static OutputFormat ParseOutput(string text) => text.ToLowerInvariant() switch
    {
        "text" => OutputFormat.Text,
        "json" => OutputFormat.Json,
        _ => throw new FormatException($"--output '{text}' is not text or json"),
    };

    private static TimeSpan ParseTimeout(string text)
        => Duration.TryParse(text, out var value) && value >= TimeSpan.FromMilliseconds(100) && value <= TimeSpan.FromHours(1)
            ? value
            : throw new FormatException($"--timeout '{text}' must be a duration from 100ms to 1h, like 30s");
}

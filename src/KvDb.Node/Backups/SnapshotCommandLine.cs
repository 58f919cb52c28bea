// The flags of `kvdb snapshot save|status|restore`, on System.CommandLine with kvdb's flag
// conventions (KvDb.Flags): each flag declared once with its placeholder, default and help.
// Invariants: Parse returns a runnable request, a text to print, or one error line; it never
// prints or exits. save takes the same --endpoints/--user/--token/--cacert as kvdb bench.
using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KvDb.Bench;
using KvDb.Flags;
using KvDb.Node.Hosting;

namespace KvDb.Node.Backups;

/// <summary>A parsed <c>kvdb snapshot</c> command line.</summary>
public abstract record SnapshotRequest
{
    /// <summary><c>kvdb snapshot save FILE</c>.</summary>
    public sealed record Save(string File, IReadOnlyList<Uri> Endpoints, string? Authorization, X509Certificate2Collection? TrustedCa) : SnapshotRequest;

    /// <summary><c>kvdb snapshot status SOURCE</c>.</summary>
    public sealed record Status(string Source, string? S3Endpoint, bool Json) : SnapshotRequest;

    /// <summary><c>kvdb snapshot restore SOURCE --data-dir DIR --id N --cluster URLS</c>.</summary>
    public sealed record Restore(string Source, string DataDir, int Id, IReadOnlyList<string> ClusterUrls, string? S3Endpoint) : SnapshotRequest;

    /// <summary>Print this text and exit 0.</summary>
    public sealed record Print(string Text) : SnapshotRequest;

    /// <summary>A command-line error (exit code 2).</summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Error is a keyword only in Visual Basic; this type belongs to the kvdb executable, whose only callers are C#, and it is not in a NuGet package.")]
    public sealed record Error(string Message) : SnapshotRequest;
}

/// <summary>Parses <c>kvdb snapshot</c>'s arguments.</summary>
public static class SnapshotCommandLine
{
    /// <summary>The default --endpoints of save.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:12380";

    /// <summary>Parses the arguments after "snapshot".</summary>
    public static SnapshotRequest Parse(IReadOnlyList<string> args)
    {
        if (args is [] or ["--help" or "-h" or "help"])
            return new SnapshotRequest.Print(Help());

        var verb = args[0];
        var rest = args.Skip(1).ToList();
        var file = new Argument<string>(verb == "save" ? "FILE" : "SOURCE") { Arity = ArgumentArity.ZeroOrOne };
        var endpoints = new Flag<List<Uri>>("endpoints", "URLS", DefaultEndpoint, "Comma-separated base URLs of members' HTTP APIs; the first that answers serves the snapshot.", BenchCommandLine.ParseEndpoints, defaultValue: () => [new Uri(DefaultEndpoint + "/")]);
        var user = new Flag<string?>("user", "NAME:PASSWORD", "none", "HTTP Basic credentials (of a root user when auth is on).", BenchAuthentication.ParseUser, defaultValue: () => null);
        var token = new Flag<string?>("token", "TOKEN", "none", "Send Authorization: Bearer TOKEN (from POST /v1/auth/token).", text => text.Length > 0 && !text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) ? text : throw new FormatException("--token needs a token without spaces or control characters"), defaultValue: () => null);
        var cacert = new Flag<X509Certificate2Collection?>("cacert", "FILE", "the system's roots", "https endpoints: trust this PEM CA for the members' certificates.", BenchAuthentication.ReadCa, defaultValue: () => null);
        var dataDir = new Flag<string?>("data-dir", "DIR", "required", "The new member's data directory (missing or empty).", text => text, defaultValue: () => null);
        var id = new Flag<int>("id", "N", "required", "The new member's id: its 1-based position in --cluster.", WholeNumber.Between("id", 1, int.MaxValue), defaultValue: () => 0);
        var cluster = new Flag<PeerList?>("cluster", "URLS", "required", "Comma-separated peer URLs of every member of the new cluster, in id order (as each member will be started with).", PeerList.Parse, defaultValue: () => null);
        var s3Endpoint = new Flag<string?>("backup-s3-endpoint", "URL", "AWS S3", "URL of an S3-compatible server for s3:// sources (path-style); credentials from the usual AWS_* variables or profile.", BackupFlags.ParseEndpoint, defaultValue: () => Environment.GetEnvironmentVariable("KVDB_BACKUP_S3_ENDPOINT") is { Length: > 0 } env ? env : null);
        var json = new Flag<OnOff>("json", null, "off", "Print the status as JSON.", text => OnOff.Parse("json", text));

        IFlag[] flags = verb switch
        {
            "save" => [endpoints, user, token, cacert],
            "status" => [s3Endpoint, json],
            "restore" => [dataDir, id, cluster, s3Endpoint],
            _ => [],
        };
        if (flags.Length == 0)
            return new SnapshotRequest.Error($"unknown command 'snapshot {verb}' (save, status or restore; see kvdb snapshot --help)");

        var command = new RootCommand($"kvdb snapshot {verb}") { file };
        foreach (var flag in flags)
            command.Add((Option)flag);
        var result = FlagParser.Parse(command, rest);
        var program = $"kvdb snapshot {verb}";
        if (ParseErrors.Syntax(result, program) is { } syntax)
            return new SnapshotRequest.Error(syntax);
        if (command.Options.OfType<System.CommandLine.Help.HelpOption>().Any(o => result.GetResult(o) is { Implicit: false }))
            return new SnapshotRequest.Print(Help());
        if (ParseErrors.First(result) is { } error)
            return new SnapshotRequest.Error(error);
        if (result.GetValue(file) is not { Length: > 0 } path)
            return new SnapshotRequest.Error($"{program} needs a {(verb == "save" ? "FILE" : "SOURCE")} (see kvdb snapshot --help)");

        switch (verb)
        {
            case "save":
                var bearer = result.GetValue(token);
                var basic = result.GetValue(user);
                if (bearer is not null && basic is not null)
                    return new SnapshotRequest.Error("--token and --user both set Authorization; give one of them");
                return new SnapshotRequest.Save(path, result.GetValue(endpoints)!, bearer is not null ? "Bearer " + bearer : basic, result.GetValue(cacert));
            case "status":
                return new SnapshotRequest.Status(path, result.GetValue(s3Endpoint), result.GetValue(json).IsOn);
            default:
                var urls = result.GetValue(cluster);
                var dir = result.GetValue(dataDir);
                var member = result.GetValue(id);
                if (dir is null || urls is null || member == 0)
                    return new SnapshotRequest.Error("kvdb snapshot restore needs --data-dir DIR, --id N and --cluster URLS (the new cluster's members)");
                if (member > urls.Urls.Count)
                    return new SnapshotRequest.Error($"--id {member} is outside --cluster, which lists {urls.Urls.Count} member(s)");
                return new SnapshotRequest.Restore(path, dir, member, urls.Urls, result.GetValue(s3Endpoint));
        }
    }

    /// <summary>The <c>kvdb snapshot --help</c> text.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("kvdb snapshot: save, check and restore backups of a whole kvdb cluster.");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  kvdb snapshot save FILE [--endpoints URLS] [--user NAME:PASSWORD | --token TOKEN] [--cacert FILE]");
        text.AppendLine("      Streams GET /v1/snapshot from the first member that answers into FILE (written whole, then renamed),");
        text.AppendLine("      and checks its SHA-256. Default endpoint: " + DefaultEndpoint + ". Needs a root user when auth is on.");
        text.AppendLine("  kvdb snapshot status SOURCE [--json] [--backup-s3-endpoint URL]");
        text.AppendLine("      Verifies every block of a backup and prints its revision, keys, leases, size, SHA-256 and origin.");
        text.AppendLine("  kvdb snapshot restore SOURCE --data-dir DIR --id N --cluster URLS [--backup-s3-endpoint URL]");
        text.AppendLine("      Makes DIR the data directory of member N of a NEW cluster (new cluster id, members from --cluster);");
        text.AppendLine("      run it once per member with the same SOURCE and --cluster, then start each with the same flags.");
        text.AppendLine();
        text.AppendLine("SOURCE is a file, file:///dir/NAME or s3://bucket/prefix/NAME; NAME 'latest' (or a directory) is the newest");
        text.AppendLine("scheduled backup there. S3 credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,");
        text.AppendLine("AWS_REGION, AWS_PROFILE and the other standard AWS settings.");
        text.AppendLine();
        text.AppendLine("Exit codes: 0 done, 1 failed (unreachable member, damaged backup, ...), 2 bad command line.");
        return text.ToString();
    }
}

// Entry point of kvdb's client commands: `kvdb get|put|del|range|watch|txn|lease|lock|elect|
// members|status|list|s2 ...`, dispatched here from the kvdb executable like `kvdb bench`.
// Invariants:
//  - Parsing follows kvdb's conventions (KvDb.Flags): --flag value or --flag=value, the last of
//    a repeated flag wins, one-line errors naming the flag; syntax errors first, then --help,
//    then bad values.
//  - Every outcome is an exit code of ExitCodes; the client's exceptions are mapped there, with
//    kvdb's own message on stderr. Nothing is printed to stdout but results.
//  - The console entry turns Ctrl+C and SIGTERM into cancellation: streams (watch, observe,
//    keepalive) end with exit code 0, held locks and leaderships are released first.
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using KvDb.Cli.Verbs;
using KvDb.Client;
using KvDb.Flags;

namespace KvDb.Cli;

/// <summary>Runs kvdb's client commands.</summary>
public static class CliProgram
{
    // For the words and help only: each run makes its own verbs, whose flags belong to that run's command.
    private static readonly CliVerb[] Verbs = NewVerbs();

    /// <summary>The first words that select a client command.</summary>
    public static IReadOnlySet<string> Words { get; } = new HashSet<string>(Verbs.Select(static v => v.Path.Split(' ')[0]), StringComparer.Ordinal);

    /// <summary>Whether <paramref name="args"/> is a client command (its first word is one of <see cref="Words"/>).</summary>
    public static bool Handles(IReadOnlyList<string> args) => args.Count > 0 && Words.Contains(args[0]);

    /// <summary>Runs a client command on the process's console; Ctrl+C and SIGTERM stop it. Returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The first Ctrl+C stops the command cleanly (a held lock is released); a second one kills.
            e.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        try
        {
            return await RunAsync(args, CliConsole.System, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Runs a client command with <paramref name="console"/>'s streams; <paramref name="token"/> stops it as Ctrl+C would. Returns the exit code.</summary>
    /// <param name="args">The whole command line after "kvdb", starting with the command's word.</param>
    /// <param name="console">Where to read and write, and the environment.</param>
    /// <param name="token">Stops the command.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var (verb, rest) = Find(args);
        if (verb is null)
        {
            var group = args.Count > 0 ? args[0] : "";
            var asked = rest.Count > 0 && rest[0] is "--help" or "-h";
            var message = rest.Count == 0 || asked
                ? $"kvdb {group} needs a subcommand: {string.Join(", ", Verbs.Where(v => v.Path.StartsWith(group + " ", StringComparison.Ordinal)).Select(static v => v.Path))}"
                : $"unknown command 'kvdb {group} {rest[0]}' (see kvdb {group} --help)";
            if (asked)
            {
                await console.Out.WriteAsync(message + Environment.NewLine + Environment.NewLine + CliHelp.CommandList(Verbs)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            await console.Error.WriteLineAsync("kvdb: " + message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var globals = new GlobalFlags(console.Environment);
        var command = new System.CommandLine.Command(verb.Path.Split(' ')[^1], verb.Summary) { new HelpOption() };
        globals.AddTo(command);
        verb.Define(command);
        var result = FlagParser.Parse(command, rest);
        if (ParseErrors.Syntax(result, "kvdb " + verb.Path) is { } syntax)
            return await UsageAsync(console, syntax).ConfigureAwait(false);
        if (command.Options.OfType<HelpOption>().Any(help => result.GetResult(help) is { Implicit: false }))
        {
            await console.Out.WriteAsync(CliHelp.For(verb, command, globals, Verbs)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        if (ParseErrors.First(result) is { } error)
            return await UsageAsync(console, $"{error} (see kvdb {verb.Path} --help)").ConfigureAwait(false);

        CliSettings settings;
        try
        {
            settings = globals.Read(result);
        }
        catch (FormatException e)
        {
            return await UsageAsync(console, e.Message).ConfigureAwait(false);
        }

        await using var context = new CliContext(console, settings);
        try
        {
            return await verb.RunAsync(result, context, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return context.Fail(ExitCodes.NotFoundOrFailed, "interrupted; a write in flight may or may not have been applied");
        }
        catch (Exception e) when (e is KvException or ArgumentException or FormatException or InvalidDataException)
        {
            return context.Fail(ExitCodes.For(e), Describe(e));
        }
    }

    // kvdb's own words for a failure: "Precondition failed (412): ..." rather than the exception's "kvdb answered 412 ...".
    private static string Describe(Exception e)
    {
        var text = e switch
        {
            KvUnavailableException unavailable => unavailable.Detail ?? unavailable.Message,
            KvException { StatusCode: 0 } failure => failure.Detail ?? failure.Message,
            KvException failure => $"{failure.Title ?? "Refused"} ({(int)failure.StatusCode}): {failure.Detail}",
            _ => e.Message,
        };
        return text.ReplaceLineEndings(" ");
    }

    private static async Task<int> UsageAsync(CliConsole console, string message)
    {
        await console.Error.WriteLineAsync("kvdb: " + message).ConfigureAwait(false);
        return ExitCodes.Usage;
    }

    private static CliVerb[] NewVerbs() =>
    [
        new GetVerb(), new PutVerb(), new DelVerb(), new RangeVerb(), new HistoryVerb(), new RestorePrefixVerb(), new WatchVerb(), new TxnVerb(),
        new LeaseGrantVerb(), new LeaseRevokeVerb(), new LeaseKeepAliveVerb(), new LeaseGetVerb(), new LeaseListVerb(),
        new LockVerb(), new ElectVerb(), new MembersVerb(), new StatusVerb(),
        new ListAppendVerb(), new ListReadVerb(), new ListInfoVerb(all: true), new ListInfoVerb(all: false), new ListKeyspaceVerb("create"), new ListKeyspaceVerb("delete"), new ListKeyspaceVerb("get"),
        new UserPasswdVerb(), new AuthRotateKeyVerb(),
        new S2BasinVerb("create"), new S2BasinVerb("ls"), new S2BasinVerb("rm"),
        new S2StreamVerb("create"), new S2StreamVerb("ls"), new S2StreamVerb("rm"),
        new S2AppendVerb(), new S2ReadVerb(), new S2TailVerb(),
    ];

    // A new verb for what the arguments name (one word, two for "lease grant", three for "list keyspace create" or "s2 basin ls"), and the arguments after its words.
    private static (CliVerb? Verb, IReadOnlyList<string> Remaining) Find(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
            return (null, args);
        var verbs = NewVerbs();
        if (verbs.FirstOrDefault(v => v.Path == args[0]) is { } single)
            return (single, args.Skip(1).ToList());
        if (args.Count > 1 && verbs.FirstOrDefault(v => v.Path == args[0] + " " + args[1]) is { } pair)
            return (pair, args.Skip(2).ToList());
        if (args.Count > 2 && verbs.FirstOrDefault(v => v.Path == args[0] + " " + args[1] + " " + args[2]) is { } triple)
            return (triple, args.Skip(3).ToList());
        return (null, args.Skip(1).ToList());
    }
}

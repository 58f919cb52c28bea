// kvdb lock NAME [-- COMMAND ARGS...]: holds a lock while a command runs (as etcdctl's lock with
// a command), or, without a command, until Ctrl+C.
// Invariants:
//  - The lock's lease is kept alive by the client while it is held; it is released when the
//    command exits (or on Ctrl+C), before kvdb exits.
//  - The command runs with KVDB_LOCK_NAME, KVDB_LOCK_KEY, KVDB_LOCK_TOKEN (the fencing token)
//    and KVDB_LOCK_LEASE; kvdb exits with its exit code.
//  - If the lock is lost while the command runs (its lease revoked or unreachable for a whole
//    TTL, its key deleted), the command is killed, since it no longer holds the lock, and kvdb
//    exits 1.
using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using KvDb.Client;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb lock</c>.</summary>
internal sealed class LockVerb : CliVerb
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    private readonly Argument<string> name = Required("NAME", "The lock's name (1 to 256 characters without '/').");
    private readonly Argument<string[]> command = new("COMMAND") { Description = "The command to run while holding the lock, after --; without it, hold the lock until Ctrl+C.", Arity = ArgumentArity.ZeroOrMore };
    private readonly Flag<TimeSpan?> ttl = new("ttl", "DURATION", "10s", "TTL of the lock's lease: if kvdb dies, the lock is released that long after.", Values.Ttl);
    private readonly Flag<TimeSpan?> timeout = new("wait", "DURATION", "until Ctrl+C", "Give up (exit 1) when the lock is not acquired within this.", Values.Span("--wait", TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1)), defaultValue: static () => null);

    public override string Path => "lock";

    public override string Summary => "Hold a lock while a command runs (or until Ctrl+C).";

    public override IReadOnlyList<string> Usage => ["lock NAME [flags] [-- COMMAND [ARGS...]]", "lock build-lock -- ./deploy.sh", "lock build-lock --wait 1m -- sh -c 'make && make install'", "lock build-lock"];

    public override IReadOnlyList<string> Notes =>
    [
        "Waiters are served in the order they asked. With a command, kvdb runs it once it holds the lock, with KVDB_LOCK_NAME, KVDB_LOCK_KEY, KVDB_LOCK_TOKEN (the fencing token: compare createRevision of KVDB_LOCK_KEY with it to make writes conditional on still holding the lock) and KVDB_LOCK_LEASE set, releases the lock when it exits, and exits with its exit code. Without a command, kvdb prints \"KEY TOKEN\" (-o json: {\"name\",\"key\",\"fencingToken\",\"lease\"}) and holds the lock until Ctrl+C.",
        "The lock not acquired within --wait exits 1. A lock lost while held (its lease revoked, or the cluster unreachable for a whole TTL) kills the command and exits 1.",
    ];

    public override void Define(Command verb)
    {
        verb.Add(name);
        verb.Add(command);
        verb.Add(ttl);
        verb.Add(timeout);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var lockName = result.GetRequiredValue(name);
        var wait = result.GetValue(timeout);
        KvLock held;
        try
        {
            held = await context.Client.AcquireLockAsync(lockName, result.GetValue(ttl) ?? TimeSpan.FromSeconds(10), wait, token);
        }
        catch (KvLockTimeoutException)
        {
            return context.Fail(ExitCodes.NotFoundOrFailed, $"lock '{lockName}' not acquired within {Duration.Format(wait ?? TimeSpan.Zero)}");
        }

        await using (held)
        {
            var run = result.GetValue(command) ?? [];
            return run.Length == 0 ? await HoldAsync(context, held, token) : await RunUnderLockAsync(context, held, run, token);
        }
    }

    private static async Task<int> HoldAsync(CliContext context, KvLock held, CancellationToken token)
    {
        if (context.Json)
        {
            // Hand-written on purpose: the CLI's own document ("fencingToken", not the API's "revision") and -o json must not change.
            context.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("name", held.Name);
                json.WriteString("key", held.Key);
                json.WriteNumber("fencingToken", held.FencingToken);
                json.WriteNumber("lease", held.Lease.Id);
                json.WriteEndObject();
            });
        }
        else
        {
            context.WriteLine(held.Key + " " + held.FencingToken.ToString(CultureInfo.InvariantCulture));
        }

        using var either = CancellationTokenSource.CreateLinkedTokenSource(token, held.Lost);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
        }

        return held.Lost.IsCancellationRequested
            ? context.Fail(ExitCodes.NotFoundOrFailed, $"lock '{held.Name}' was lost: {held.Lease.LossReason ?? "its key was deleted"}")
            : ExitCodes.Ok;
    }

    private static async Task<int> RunUnderLockAsync(CliContext context, KvLock held, string[] run, CancellationToken token)
    {
        var redirect = !context.Console.InheritChildStreams;
        var start = new ProcessStartInfo(run[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            RedirectStandardInput = redirect,
        };
        foreach (var argument in run.Skip(1))
            start.ArgumentList.Add(argument);
        start.Environment["KVDB_LOCK_NAME"] = held.Name;
        start.Environment["KVDB_LOCK_KEY"] = held.Key;
        start.Environment["KVDB_LOCK_TOKEN"] = held.FencingToken.ToString(CultureInfo.InvariantCulture);
        start.Environment["KVDB_LOCK_LEASE"] = held.Lease.Id.ToString(CultureInfo.InvariantCulture);

        using var process = new Process { StartInfo = start };
        if (redirect)
        {
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) context.Out.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) context.Console.Error.WriteLine(e.Data); };
        }

        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return context.Fail(ExitCodes.Usage, $"cannot run '{run[0]}': {e.Message}");
        }

        if (redirect)
        {
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token, held.Lost);
        try
        {
            await process.WaitForExitAsync(stop.Token);
            await context.Out.FlushAsync(CancellationToken.None);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
        }

        if (held.Lost.IsCancellationRequested)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            return context.Fail(ExitCodes.NotFoundOrFailed, $"lock '{held.Name}' was lost while '{run[0]}' ran ({held.Lease.LossReason ?? "its key was deleted"}); the command was killed");
        }

        // Interrupted (Ctrl+C reaches the command too): give it a moment to finish by itself.
        using var grace = new CancellationTokenSource(GracePeriod);
        try
        {
            await process.WaitForExitAsync(grace.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            return context.Fail(ExitCodes.NotFoundOrFailed, $"interrupted; '{run[0]}' was killed");
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }
}

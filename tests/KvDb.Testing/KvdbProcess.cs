// One real kvdb member, started as a child process of the test on loopback ports chosen at
// run time. Output is captured so a failing test can show what the member said.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace KvDb.Testing;

/// <summary>A kvdb child process; killed on dispose.</summary>
public sealed partial class KvdbProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly IReadOnlyDictionary<string, string>? environment;
    private Process? process;

    public KvdbProcess(int id, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        Id = id;
        Args = args;
        this.environment = environment;
    }

    public int Id { get; }

    public IReadOnlyList<string> Args { get; }

    public bool IsRunning => process is { HasExited: false };

    public int? ExitCode => process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>
    /// Waits until the member's output contains <paramref name="text"/> (its log lines reach us
    /// through an asynchronous pipe, a little after the event they describe); throws with the
    /// output it has at the deadline.
    /// </summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null)
        => Eventually.WaitUntilAsync(
            () => Output.Contains(text, StringComparison.Ordinal),
            $"member {Id} to print \"{text}\"",
            timeout ?? TimeSpan.FromSeconds(10),
            () => $"it printed:\n{Output}",
            TimeSpan.FromMilliseconds(20));

    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    /// <summary>
    /// The path of kvdb.dll: next to the test assembly, where the test project's reference to
    /// src/KvDb.Node copies it (this library does not reference the server).
    /// </summary>
    public static string KvdbDll => Path.Combine(AppContext.BaseDirectory, "kvdb.dll");

    public void Start()
    {
        if (!File.Exists(KvdbDll))
            throw new FileNotFoundException($"{KvdbDll} does not exist: a test project that starts members must reference src/KvDb.Node/KvDb.Node.csproj, which puts kvdb.dll next to the tests.", KvdbDll);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(KvdbDll);
        foreach (var arg in Args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";

        // Start-up CPU: a member spends its first seconds in the JIT (kvdb and its libraries are
        // not precompiled), three or four at once on a 2-core machine. Without W^X (every JIT
        // write maps pages twice) and without tiered PGO (hot methods compiled a third time,
        // instrumented, before tier 1) a member takes about a fifth less CPU to serve its first
        // write. Neither changes what the member does; the tests' processes are short-lived and
        // run only this build's code.
        info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;

        var p = new Process { StartInfo = info, EnableRaisingEvents = true };
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        process = p;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
    }

    /// <summary>Runs kvdb to completion with <paramref name="args"/> and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IReadOnlyList<string> args, TimeSpan timeout)
    {
        await using var p = new KvdbProcess(0, args);
        p.Start();
        using var cts = new CancellationTokenSource(timeout);
        await p.process!.WaitForExitAsync(cts.Token);
        p.process.WaitForExit(); // drains the output readers
        return (p.process.ExitCode, p.Output);
    }

    /// <summary>Waits until the process exits by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process!.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>Sends SIGTERM and waits for a graceful exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (process is not { HasExited: false } p)
            return process?.ExitCode ?? 0;
        Signal(p.Id, SigTerm);
        using var cts = new CancellationTokenSource(timeout);
        await p.WaitForExitAsync(cts.Token);
        return p.ExitCode;
    }

    /// <summary>kill -9: the process gets no chance to flush or clean up.</summary>
    public async Task KillAsync()
    {
        if (process is not { HasExited: false } p)
            return;
        Signal(p.Id, SigKill);
        await p.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process is frozen (it keeps its sockets, answers nothing) until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        if (process is { HasExited: false } p)
            Signal(p.Id, SigStop);
    }

    /// <summary>SIGCONT: a paused process runs again, as if nothing happened, with its old idea of who leads.</summary>
    public void Resume()
    {
        if (process is { HasExited: false } p)
            Signal(p.Id, SigCont);
    }

    public async ValueTask DisposeAsync()
    {
        if (process is null)
            return;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
        process = null;
    }

    private const int SigKill = 9;
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private static void Signal(int pid, int signal)
    {
        if (SendSignal(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

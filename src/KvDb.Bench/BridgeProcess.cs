// A `kvdb kafka-bridge` process for `kvdb bench kafka`: this same executable, started with a
// generated bridge.toml in a temporary directory. Invariants: its output is kept (the last
// lines) so a failure can say why; Dispose kills it and removes the directory, so a run never
// leaves a bridge behind.
using System.Diagnostics;

namespace KvDb.Bench;

/// <summary>A bridge process started by the benchmark.</summary>
internal sealed class BridgeProcess : IDisposable
{
    private const int KeptLines = 20;
    private readonly Process process;
    private readonly string directory;
    private readonly Queue<string> output = new();

    private BridgeProcess(Process process, string directory)
    {
        this.process = process;
        this.directory = directory;
    }

    /// <summary>Starts <c>kvdb kafka-bridge --config</c> with <paramref name="config"/>.</summary>
    public static BridgeProcess Start(string config, TextWriter log)
    {
        var directory = Directory.CreateTempSubdirectory("kvdb-bench-kafka-").FullName;
        var file = Path.Combine(directory, "bridge.toml");
        File.WriteAllText(file, config);
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this executable's path to start the bridge");
        start.FileName = self;
        // Run as `dotnet kvdb.dll bench kafka`: the bridge is the same dll under the same host.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        foreach (var arg in new[] { "kafka-bridge", "--config", file })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {self} kafka-bridge");
        var bridge = new BridgeProcess(process, directory);
        process.OutputDataReceived += (_, e) => bridge.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => bridge.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log.WriteLine($"  bridge started (pid {process.Id})");
        return bridge;
    }

    /// <summary>Throws, with the bridge's last output lines, when it has exited.</summary>
    public void ThrowIfExited()
    {
        if (!process.HasExited)
            return;
        lock (output)
            throw new InvalidOperationException($"the bridge exited with code {process.ExitCode}: {string.Join(" | ", output)}");
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (output)
        {
            output.Enqueue(line);
            if (output.Count > KeptLines)
                output.Dequeue();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        process.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

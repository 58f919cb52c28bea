// The kvdb executable: parse flags, check the environment, then run one cluster member
// (Raft over HTTP on the peer port + the client API on --port, both on one Kestrel server)
// until SIGTERM or Ctrl+C.
// Exit codes: 0 clean shutdown, 1 failed at start-up or while running, 2 bad command line.
using System.Net;
using KvDb.Node.Raft;

namespace KvDb.Node.Hosting;

/// <summary>Entry point of the kvdb executable.</summary>
public static class KvdbProgram
{
    /// <summary>Runs kvdb with <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is [Bench.BenchCommand.Name, .. var benchArgs])
            return await Bench.BenchCommand.RunAsync(benchArgs);
        if (args is [Kafka.KafkaBridgeCommand.Name, .. var bridgeArgs])
            return await Kafka.KafkaBridgeCommand.RunAsync(bridgeArgs);
        if (args is [Backups.SnapshotCommand.Name, .. var snapshotArgs])
            return await Backups.SnapshotCommand.RunAsync(snapshotArgs);

        switch (CommandLine.Parse(args, Environment.GetEnvironmentVariable))
        {
            case CommandLineOutcome.Print print:
                Console.Out.Write(print.Text.EndsWith('\n') ? print.Text : print.Text + Environment.NewLine);
                return 0;
            case CommandLineOutcome.Error error:
                await Console.Error.WriteLineAsync($"kvdb: {error.Message}");
                return 2;
            case CommandLineOutcome.Run run:
                return await RunMemberAsync(run.Options);
            default:
                return 2;
        }
    }

    private static async Task<int> RunMemberAsync(NodeOptions parsed)
    {
        var options = WithDataDirectory(parsed);
        if (Preflight.CheckPort(options.PeerEndPoint, "peer (this member's URL in --cluster)") is { } raftError
            || Preflight.CheckPort(new IPEndPoint(options.HttpAddress, options.Port), "HTTP (--port)") is { } httpError && (raftError = httpError) is not null)
        {
            await Console.Error.WriteLineAsync($"kvdb: {raftError}");
            return 1;
        }

        var (dataLock, lockError) = Preflight.LockDataDirectory(options.DataDir);
        if (dataLock is null)
        {
            await Console.Error.WriteLineAsync($"kvdb: {lockError}");
            return 1;
        }

        try
        {
            await using var app = NodeComposition.BuildApp(options);
            var node = app.Services.GetRequiredService<RaftNode>();
            await app.RunAsync();
            if (node.ApplyFailure is { } failure)
            {
                await Console.Error.WriteLineAsync($"kvdb: member {options.Id} stopped: it could not apply a committed entry: {Describe(failure)}");
                return 1;
            }

            return 0;
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync($"kvdb: member {options.Id} cannot start: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"kvdb: member {options.Id} stopped: {Describe(e)}");
            return 1;
        }
        finally
        {
            await dataLock.DisposeAsync();
            if (options.InMemory)
                TryDelete(options.DataDir);
        }
    }

    private static NodeOptions WithDataDirectory(NodeOptions options) => options with
    {
        DataDir = options.InMemory ? Preflight.CreateEphemeralDirectory() : Path.GetFullPath(options.DataDir),
    };

    private static string Describe(Exception e)
    {
        while (e is AggregateException { InnerException: { } inner })
            e = inner;
        return e is IOException or InvalidDataException or UnauthorizedAccessException
            ? e.Message
            : $"{e.GetType().Name}: {e.Message}";
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

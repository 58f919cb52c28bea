// The kvdb executable: parse flags, check the environment, then run one cluster member
// (Raft over HTTP on the peer port + the client API on --port, both on one Kestrel server)
// until SIGTERM or Ctrl+C.
// Exit codes: 0 clean shutdown, 1 failed at start-up or while running, 2 bad command line.
using System.Net;
using KvDb.Node.Configuration;
using KvDb.Node.Http;
using KvDb.Node.Operations;
using KvDb.Node.Raft;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KvDb.Node;

/// <summary>Entry point of the kvdb executable.</summary>
public static class KvdbProgram
{
    /// <summary>Runs kvdb with <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is [Bench.BenchCommand.Name, .. var benchArgs])
            return await Bench.BenchCommand.RunAsync(benchArgs);

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
        if (Preflight.CheckPort(options.RaftEndPoint, "Raft (from --cluster)") is { } raftError
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
            await using var app = BuildApp(options);
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

    /// <summary>Builds the web application of one member; exposed for in-process tests.</summary>
    public static WebApplication BuildApp(NodeOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        ConfigureLogging(builder.Logging, options.LogLevel);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.HttpAddress, options.Port);
            kestrel.Listen(options.RaftEndPoint);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = long.Max(64L << 20, options.MaxValueBytes + (1L << 20));
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 96 * 1024;
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddRaftMember(options);
        services.AddSingleton<LeaderForwarder>();
        services.AddSingleton<ProposalBatcher>();
        services.AddHostedService(static sp => sp.GetRequiredService<ProposalBatcher>());
        services.AddSingleton<LinearizableReader>();
        services.AddSingleton<DiskSpaceGuard>();
        services.AddSingleton<KvService>();
        services.AddSingleton<MembershipService>();
        services.AddHostedService<MembershipReconciler>();
        services.AddMembershipRouting();
        services.AddOperations();
        services.AddProblemDetails();
        services.Configure<HostOptions>(static host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));

        var app = builder.Build();
        app.UsePeerProtocol(options);
        app.UseOperations();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UsePortPolicy(options);
        app.MapAdminEndpoints();
        app.MapInternalEndpoints();
        app.MapMembershipEndpoints();
        app.MapKeysEndpoints();
        app.MapS2Endpoints();
        app.MapLogEndpoints();
        app.MapKvEndpoints();
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.AddKvdbConsole();
        logging.SetMinimumLevel(level);

        // Library internals are noisy (DotNext logs each failed heartbeat with a stack trace);
        // kvdb logs the events operators care about itself. Show them only when debugging.
        var libraries = level <= LogLevel.Debug ? level : LogLevel.Warning;
        logging.AddFilter("Microsoft", libraries);
        logging.AddFilter("DotNext", level <= LogLevel.Debug ? level : LogLevel.Error);

        // The transport logs every failed request as an error, including the expected "snapshot
        // still being fetched, retry" answers; kvdb logs the fetch itself.
        logging.AddFilter("DotNext.Net.Cluster.Consensus.Raft.Http", level <= LogLevel.Debug ? level : LogLevel.Critical);
        logging.AddFilter("Microsoft.Hosting.Lifetime", libraries);

        // ASP.NET Core writes several lines per request at Debug; RequestLogging writes one.
        logging.AddFilter("Microsoft.AspNetCore", level <= LogLevel.Trace ? level : LogLevel.Warning);

        // A failed start is reported once, as one line on stderr, not as a logged stack trace.
        logging.AddFilter("Microsoft.Extensions.Hosting", level <= LogLevel.Debug ? level : LogLevel.Critical);
    }

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

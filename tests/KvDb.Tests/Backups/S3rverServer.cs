// A real S3-compatible server for the backup tests: the npm package s3rver, run as a child
// process on a free 127.0.0.1 port with a temporary directory and the bucket the tests use.
// Where it comes from, in order: KVDB_S3RVER (the path of its bin/s3rver script, as .ci/run
// exports it), <repo>/.tools/node_modules/.bin/s3rver, or an `npm install` into <repo>/.tools.
// If none of these works the tests that need it are Skipped with the reason, never passed.
// It accepts any credentials of the form its README gives (S3RVER/S3RVER); the fixture sets
// the standard AWS_* variables in this process, which every kvdb child process inherits.
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace KvDb.Tests.Backups;

/// <summary>Starts s3rver once for a test class; <see cref="Unavailable"/> says why it could not.</summary>
public sealed class S3rverServer : IAsyncLifetime
{
    /// <summary>The bucket created at start.</summary>
    public const string Bucket = "kvdb-backups";

    private const string Version = "3.7.1";
    private Process? process;
    private string? directory;
    private readonly System.Text.StringBuilder output = new();

    /// <summary>Why the server is not running (for Skip), or null when it is.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>The server's URL.</summary>
    public string Endpoint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // A KVDB_S3RVER that names nothing means the install already failed (.ci/run): say so, do not retry.
        var script = Find() ?? (Environment.GetEnvironmentVariable("KVDB_S3RVER") is { Length: > 0 } given
            ? SetUnavailable($"KVDB_S3RVER={given} is not s3rver's bin/s3rver.js (npm install s3rver failed?)")
            : await InstallAsync());
        if (script is null)
            return;

        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        directory = Directory.CreateTempSubdirectory("kvdb-s3rver-").FullName;
        var port = FreePorts.Take(1)[0];
        Endpoint = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket })
            info.ArgumentList.Add(arg);
        process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // s3rver not listening in time (or exiting) is an expected outcome: the tests report why they skip.
        var server = process;
        if (await Eventually.TryWaitUntilAsync(async () => server.HasExited || await AcceptsAsync(port), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100))
            && !server.HasExited)
            return;

        lock (output)
            Unavailable = $"s3rver did not start listening on {Endpoint}: {output}";
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvDb.sln")))
                return dir.FullName;
        }

        return null;
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("KVDB_S3RVER") is { Length: > 0 } given && File.Exists(given))
            return given;
        var local = RepositoryRoot() is { } root ? Path.Combine(root, ".tools", "node_modules", "s3rver", "bin", "s3rver.js") : null;
        return local is not null && File.Exists(local) ? local : null;
    }

    private async Task<string?> InstallAsync()
    {
        if (RepositoryRoot() is not { } root)
        {
            Unavailable = "s3rver is not installed and the repository (for .tools/) was not found";
            return null;
        }

        try
        {
            var info = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "install", "--prefix", Path.Combine(root, ".tools"), "--no-audit", "--no-fund", $"s3rver@{Version}" })
                info.ArgumentList.Add(arg);
            using var npm = Process.Start(info)!;
            var stdout = npm.StandardOutput.ReadToEndAsync();
            var stderr = npm.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await npm.WaitForExitAsync(timeout.Token);
            if (npm.ExitCode != 0)
            {
                Unavailable = $"npm install s3rver@{Version} failed ({npm.ExitCode}): {await stderr}";
                return null;
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            Unavailable = $"s3rver is not installed and npm could not install it: {e.Message}";
            return null;
        }

        return Find() ?? SetUnavailable("npm installed s3rver but its bin/s3rver.js was not found");
    }

    private string? SetUnavailable(string reason)
    {
        Unavailable = reason;
        return null;
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        if (directory is not null)
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
}

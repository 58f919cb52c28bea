// kvdb's S2 API through S2's official TypeScript SDK (@s2-dev/streamstore, pinned in
// tests/s2-sdk/package.json), run with node against a three-member cluster: tests/s2-sdk/check.mjs
// sends each call to another member and checks basins, streams, JSON and protobuf appends and
// reads, conditions, sessions that follow the tail on both transports, and trim;
// tests/s2-sdk/failover.mjs keeps a read session and an append session going while the leader
// is killed with SIGKILL, and checks every record was read once, in order. check.mjs runs twice:
// over plain HTTP (h2c with prior knowledge, HTTP/1.1) and over TLS, where ALPN picks the protocol. Without node or the
// package (and no npm to install it) the tests are Skipped with the reason, never passed.
using System.Diagnostics;

namespace KvDb.Tests.Streams;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class S2SdkTests
{
    [SkippableFact]
    public async Task The_official_S2_SDK_works_against_every_member()
    {
        var directory = await SdkDirectoryAsync();
        await using var cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        await cluster.WaitForLeaderAsync();
        var endpoints = string.Join(",", Enumerable.Range(1, 3).Select(id => cluster.Url(id).ToString().TrimEnd('/')));

        var (exit, output) = await RunAsync("node", directory, TimeSpan.FromMinutes(3), [("KVDB_ENDPOINTS", endpoints)], "check.mjs");
        exit.Should().Be(0, $"check.mjs should pass; it printed:\n{output}");
        output.Should().Contain("all checks passed");
    }

    // TLS on the client port (the peer port stays plain): node trusts the test CA through
    // NODE_EXTRA_CA_CERTS, the s2s transport gets HTTP/2 by ALPN and the fetch transport HTTP/1.1.
    [SkippableFact]
    public async Task The_official_S2_SDK_works_over_TLS_with_ALPN()
    {
        var directory = await SdkDirectoryAsync();
        using var certificates = new TestCertificates();
        var files = Enumerable.Range(1, 3).Select(id => certificates.Write($"member-{id}", certificates.Issue($"member-{id}"))).ToArray();
        var transport = new ClusterTransport("http", "https", id => ["--cert-file", files[id - 1].Certificate, "--key-file", files[id - 1].Key], () => new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (sender, certificate, _, _)
                    => CertificateCheck.Problem(certificate, null, [certificates.Ca], CertificateUse.Server, ((System.Net.Security.SslStream)sender).TargetHostName) is null,
            },
        });
        await using var cluster = await KvdbCluster.StartAsync(transport, 3, "--in-memory");
        await cluster.WaitForLeaderAsync();
        var endpoints = string.Join(",", Enumerable.Range(1, 3).Select(id => cluster.Url(id).ToString().TrimEnd('/')));
        endpoints.Should().StartWith("https://");

        var (exit, output) = await RunAsync("node", directory, TimeSpan.FromMinutes(3), [("KVDB_ENDPOINTS", endpoints), ("NODE_EXTRA_CA_CERTS", certificates.CaFile)], "check.mjs");
        exit.Should().Be(0, $"check.mjs should pass over TLS; it printed:\n{output}");
        output.Should().Contain("all checks passed");
    }

    [SkippableFact]
    public async Task Sessions_go_on_through_a_kill_9_of_the_leader_and_read_every_record_once_in_order()
    {
        var directory = await SdkDirectoryAsync();
        await using var cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        var leader = await cluster.WaitForLeaderAsync();
        var (writer, reader) = (leader % 3 + 1, (leader + 1) % 3 + 1);
        var info = new ProcessStartInfo("node") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add("failover.mjs");
        info.Environment["WRITE_ENDPOINT"] = cluster.Url(writer).ToString().TrimEnd('/');
        info.Environment["READ_ENDPOINT"] = cluster.Url(reader).ToString().TrimEnd('/');
        using var node = Process.Start(info)!;
        var stderr = node.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            while (await node.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                output.AppendLine(line);
                if (line != "kill")
                    continue;
                await cluster.Member(leader).KillAsync();
                output.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"(killed member {leader}, the leader; sessions on {writer} and {reader})");
                await node.StandardInput.WriteLineAsync("killed");
                await node.StandardInput.FlushAsync();
            }

            await node.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
        }

        node.ExitCode.Should().Be(0, $"failover.mjs should pass; it printed:\n{output}\n{await stderr}");
        output.ToString().Should().Contain("all checks passed");
    }

    // tests/s2-sdk with the SDK installed: KVDB_S2_SDK (as .ci/run exports it), or the
    // repository's copy, installed with npm ci when it is not yet.
    private static async Task<string> SdkDirectoryAsync()
    {
        var directory = Environment.GetEnvironmentVariable("KVDB_S2_SDK") is { Length: > 0 } given ? given : Path.Combine(RepositoryRoot(), "tests", "s2-sdk");
        var package = Path.Combine(directory, "node_modules", "@s2-dev", "streamstore", "package.json");
        if (!File.Exists(package))
        {
            var (exit, output) = await RunAsync("npm", directory, TimeSpan.FromMinutes(5), [], "ci", "--no-audit", "--no-fund");
            Skip.If(exit != 0 || !File.Exists(package), $"@s2-dev/streamstore is not installed in {directory} and npm ci failed ({exit}): {output}");
        }

        return directory;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvDb.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("the repository (KvDb.sln) is not above the test assembly");
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string directory, TimeSpan timeout, (string Name, string Value)[] variables, params string[] args)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (name, value) in variables)
            info.Environment[name] = value;
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Skip.If(true, $"{program} is not installed: {e.Message}");
            throw;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                return (-1, $"{program} {string.Join(' ', args)} ran past {timeout}:\n{await stdout}\n{await stderr}");
            }

            return (process.ExitCode, $"{await stdout}\n{await stderr}");
        }
    }
}

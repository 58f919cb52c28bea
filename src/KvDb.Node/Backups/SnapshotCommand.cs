// `kvdb snapshot save|status|restore`: a backup of a whole cluster to a file, its check, and a
// new cluster's data directories made from it (as etcdctl snapshot save and etcdutl snapshot
// status/restore do).
// Invariants:
//  - stdout carries the result only; errors are one line on stderr. Exit codes: 0 done,
//    1 failed, 2 bad command line.
//  - save writes FILE.part and renames it to FILE only after the download ended and the
//    archive's SHA-256 matched its trailer; a failed save leaves no FILE behind.
//  - status and restore use nothing from a backup before every check passed (BackupArchive).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KvDb.Core.Backups;

namespace KvDb.Node.Backups;

/// <summary>Entry point of the <c>kvdb snapshot</c> subcommand.</summary>
public static class SnapshotCommand
{
    /// <summary>The word that selects this subcommand as kvdb's first argument.</summary>
    public const string Name = "snapshot";

    /// <summary>Runs <c>kvdb snapshot</c> with the arguments after "snapshot"; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var request = SnapshotCommandLine.Parse(args);
        try
        {
            switch (request)
            {
                case SnapshotRequest.Print print:
                    Console.Out.Write(print.Text);
                    return 0;
                case SnapshotRequest.Error error:
                    await Console.Error.WriteLineAsync($"kvdb snapshot: {error.Message}");
                    return 2;
                case SnapshotRequest.Save save:
                    await SaveAsync(save, Console.Out, CancellationToken.None);
                    return 0;
                case SnapshotRequest.Status status:
                    await StatusAsync(status, Console.Out, CancellationToken.None);
                    return 0;
                case SnapshotRequest.Restore restore:
                    await RestoreAsync(restore, Console.Out, CancellationToken.None);
                    return 0;
                default:
                    return 2;
            }
        }
        catch (Exception e) when (e is BackupCorruptException or IOException or HttpRequestException or InvalidDataException or FormatException or UnauthorizedAccessException or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"kvdb snapshot: {Describe(request, e)}");
            return 1;
        }
    }

    private static string Describe(SnapshotRequest request, Exception e)
    {
        var what = request switch
        {
            SnapshotRequest.Save save => $"saving {save.File} failed",
            SnapshotRequest.Status status => $"{status.Source}",
            SnapshotRequest.Restore restore => $"restoring {restore.Source} into {restore.DataDir} failed",
            _ => "failed",
        };
        return e is BackupCorruptException
            ? $"{what}: not a usable kvdb backup: {e.Message.TrimEnd('.')}. Nothing was restored from it; use another backup."
            : $"{what}: {e.Message.ReplaceLineEndings(" ")}";
    }

    /// <summary>Downloads a snapshot from the first member that answers and checks its hash.</summary>
    public static async Task<BackupManifest> SaveAsync(SnapshotRequest.Save save, TextWriter output, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        using var client = new HttpClient(Handler(save.TrustedCa)) { Timeout = Timeout.InfiniteTimeSpan };
        var failures = new List<string>();
        foreach (var endpoint in save.Endpoints)
        {
            var part = save.File + ".part";
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, BackupEndpoints.Path.TrimStart('/')));
                if (save.Authorization is not null)
                    request.Headers.TryAddWithoutValidation("Authorization", save.Authorization);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
                if (!response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadAsStringAsync(token);
                    failures.Add($"{endpoint} answered {(int)response.StatusCode} {Detail(body)}");
                    if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                        break;
                    continue;
                }

                await using (var body = await response.Content.ReadAsStreamAsync(token))
                await using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                {
                    await body.CopyToAsync(file, token);
                    file.Flush(flushToDisk: true);
                }

                var manifest = await CheckFileAsync(part, token);
                File.Move(part, save.File, overwrite: true);
                var bytes = new FileInfo(save.File).Length;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Saved the snapshot at revision {manifest.Revision} ({bytes} bytes, sha256 {manifest.Sha256}) from {endpoint.ToString().TrimEnd('/')} to {save.File} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F2} s"));
                return manifest;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or BackupCorruptException)
            {
                failures.Add($"{endpoint}: {e.Message}");
            }
            finally
            {
                File.Delete(part);
            }
        }

        throw new IOException($"no member served a snapshot ({string.Join("; ", failures)})");
    }

    // The archive's SHA-256 against its trailer (blocks are verified by status and restore).
    private static async Task<BackupManifest> CheckFileAsync(string path, CancellationToken token)
    {
        await using var file = File.OpenRead(path);
        var manifest = await BackupArchive.ReadManifestFromEndAsync(file, token);
        file.Seek(0, SeekOrigin.Begin);
        var sha = await BackupArchive.HashAsync(file, manifest.ArchiveBytes, token);
        if (sha != manifest.Sha256)
            throw new BackupCorruptException($"the download's SHA-256 is {sha}, its trailer says {manifest.Sha256} (damaged in transit?)");
        return manifest;
    }

    /// <summary>Verifies a backup whole and prints what it holds.</summary>
    public static async Task<BackupSummary> StatusAsync(SnapshotRequest.Status status, TextWriter output, CancellationToken token)
    {
        var (stream, source) = await BackupSource.OpenAsync(status.Source, status.S3Endpoint, token);
        BackupSummary summary;
        long bytes;
        await using (stream)
        {
            await using var counting = new HashingStream(stream, leaveOpen: true);
            summary = await BackupRestore.InspectAsync(counting, token);
            bytes = counting.Count;
        }

        var m = summary.Manifest;
        if (status.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                source, revision = m.Revision, term = m.Term, keys = summary.Keys, leases = summary.Leases,
                keyspaces = summary.Keyspaces, lists = summary.Lists, listItems = summary.ListItems, bytes, sha256 = m.Sha256,
                createdAt = m.CreatedAt, clusterId = m.ClusterId, memberId = m.MemberId, kvdbVersion = m.KvdbVersion,
                members = summary.Members.ToDictionary(static p => p.Key.ToString(CultureInfo.InvariantCulture), static p => p.Value), verified = true,
            }));
        }
        else
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $$"""
                source      {{source}}
                revision    {{m.Revision}}
                term        {{m.Term}}
                keys        {{summary.Keys}}
                leases      {{summary.Leases}}
                lists       {{summary.Lists}} in {{summary.Keyspaces}} keyspace(s), {{summary.ListItems}} item(s)
                size        {{bytes}} bytes
                sha256      {{m.Sha256}}
                created at  {{m.CreatedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}} (by member {{m.MemberId}}, kvdb {{m.KvdbVersion}})
                cluster id  {{m.ClusterId ?? "none"}}
                members     {{string.Join(", ", summary.Members.Select(static p => $"{p.Key}={p.Value}"))}}
                verified    every block and the SHA-256: OK
                """));
        }

        return summary;
    }

    /// <summary>Makes a new member's data directory from a backup.</summary>
    public static async Task<RestoredState> RestoreAsync(SnapshotRequest.Restore restore, TextWriter output, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        var (stream, source) = await BackupSource.OpenAsync(restore.Source, restore.S3Endpoint, token);
        RestoredState restored;
        await using (stream)
            restored = await BackupRestore.RestoreAsync(stream, restore.DataDir, restore.ClusterUrls, token);

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Restored {source} (revision {restored.Manifest.Revision}, {restored.Keys} keys) into {Path.GetFullPath(restore.DataDir)} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F2} s: "
            + $"member {restore.Id} of the new cluster {restored.ClusterId} ({string.Join(", ", restore.ClusterUrls.Select(static (u, i) => $"{i + 1}={u}"))}). "
            + $"Start it with: kvdb --id {restore.Id} --cluster {string.Join(',', restore.ClusterUrls)} --data-dir {restore.DataDir}"));
        return restored;
    }

    private static SocketsHttpHandler Handler(X509Certificate2Collection? trust)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (trust is not null)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(trust);
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }

        return handler;
    }

    private static string Detail(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("detail", out var detail) ? $"({detail.GetString()})" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}

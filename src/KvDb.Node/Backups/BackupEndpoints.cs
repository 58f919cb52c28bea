// GET /v1/snapshot: the whole state of the cluster as one backup file, from any member.
// Invariants:
//  - The state holds every write acknowledged before the request (SnapshotTaker: read barrier,
//    flush, pin); its revision is in X-Kvdb-Revision before the body starts.
//  - The body is a backup file (BackupArchive): the checkpoint archive, then a trailer whose
//    manifest carries the archive's SHA-256. Where the protocol allows trailers (HTTP/2), the
//    hash is also sent as the X-Kvdb-Snapshot-Sha256 trailer.
//  - Root only once auth is enabled: it carries every key, user record and password hash.
using System.Diagnostics.CodeAnalysis;
using KvDb.Core.Backups;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Backups;

/// <summary>Maps <c>GET /v1/snapshot</c>.</summary>
public static class BackupEndpoints
{
    /// <summary>The path of the snapshot endpoint.</summary>
    public const string Path = "/v1/snapshot";

    /// <summary>The header (and HTTP trailer) carrying the archive's SHA-256.</summary>
    public const string Sha256Header = "X-Kvdb-Snapshot-Sha256";

    /// <summary>Maps the endpoint.</summary>
    public static void MapBackupEndpoints(this IEndpointRouteBuilder app)
        => app.MapGet(Path, SaveAsync).Allow(AccessRule.Root)
            .WithTags("backups").WithName("saveSnapshot").WithSummary("A consistent backup of the whole cluster's data, streamed (kvdb snapshot save).")
            .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "One line per snapshot served, after streaming the whole archive; the logger and the peer's address cost nothing beside that.")]
    private static async Task SaveAsync(HttpContext context, SnapshotTaker taker, ILoggerFactory loggers)
    {
        using var checkpoint = await taker.TakeAsync(context.RequestAborted);
        var response = context.Response;
        response.ContentType = "application/octet-stream";
        response.Headers["X-Kvdb-Revision"] = checkpoint.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers.ContentDisposition = $"attachment; filename=\"kvdb-{checkpoint.Index}.snapshot\"";
        response.Headers.CacheControl = "no-store";
        var trailers = response.SupportsTrailers();
        if (trailers)
            response.DeclareTrailer(Sha256Header);

        var manifest = await BackupArchive.WriteAsync(response.Body, checkpoint, taker.Origin, context.RequestAborted);
        if (trailers)
            response.AppendTrailer(Sha256Header, manifest.Sha256);
        BackupLog.Served(loggers.CreateLogger(typeof(BackupEndpoints).FullName!), manifest.Revision, manifest.ArchiveBytes, context.Connection.RemoteIpAddress?.ToString() ?? "?");
    }
}

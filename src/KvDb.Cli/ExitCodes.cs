// What a kvdb client command's exit code tells a script, and which failure gets which.
// Invariants: 0 done; 1 kvdb answered "no" (not found, a condition or transaction comparison
// failed, a lock not acquired or lost, a refusal such as 403 or 507); 2 the command line or its
// input is wrong (including kvdb's 400, 413 and 422); 3 no member could be reached or serve
// in time (KvUnavailableException, other 5xx). Nothing else is ever returned, except that
// `kvdb lock NAME -- COMMAND` returns COMMAND's own exit code.
using System.Net;
using KvDb.Client;

namespace KvDb.Cli;

/// <summary>The exit codes of kvdb's client commands.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>Not found, condition or comparison failed, lock not acquired or lost, or refused by kvdb.</summary>
    public const int NotFoundOrFailed = 1;

    /// <summary>Bad command line or input.</summary>
    public const int Usage = 2;

    /// <summary>No member could be reached or serve in time.</summary>
    public const int Unavailable = 3;

    /// <summary>The exit code for a failure the client raised.</summary>
    public static int For(Exception e) => e switch
    {
        KvUnavailableException => Unavailable,
        KvException { StatusCode: HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity } => Usage,
        KvException { StatusCode: >= HttpStatusCode.InternalServerError and not HttpStatusCode.InsufficientStorage } => Unavailable,
        KvException => NotFoundOrFailed,
        ArgumentException or FormatException => Usage,
        _ => Unavailable,
    };
}

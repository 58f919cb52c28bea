// A lease named by a request does not exist (404): it was revoked, expired, or never granted.
// Keep-alives, puts with a lease, transactions that put with one, and lock or election requests
// on one raise it.

namespace KvDb.Client;

/// <summary>The lease a request named does not exist (revoked, expired or never granted); nothing was written.</summary>
public sealed class KvLeaseNotFoundException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="leaseId">The lease's id; 0 when the answer did not say which lease.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    public KvLeaseNotFoundException(long leaseId, string? title, string? detail)
        : base(System.Net.HttpStatusCode.NotFound, title ?? "Lease not found", detail ?? $"Lease {leaseId} does not exist.")
    {
        LeaseId = leaseId;
    }

    /// <summary>The lease's id; 0 when the answer did not say which lease.</summary>
    public long LeaseId { get; }
}

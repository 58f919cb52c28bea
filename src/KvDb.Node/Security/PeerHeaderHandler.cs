// Stamps one header on every request of a member-to-member HTTP client (the peer proof, the
// cluster id). Invariants: the value replaces any the caller set; a null value (not known yet)
// sends no header at all.

namespace KvDb.Node.Security;

/// <summary>Sets one header on every request a member sends to another.</summary>
public abstract class PeerHeaderHandler : DelegatingHandler
{
    /// <summary>The header's name.</summary>
    protected abstract string HeaderName { get; }

    /// <summary>The header's value now, or null to send none.</summary>
    protected abstract string? Value { get; }

    /// <inheritdoc/>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Stamp(request);
        return base.SendAsync(request, cancellationToken);
    }

    /// <inheritdoc/>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Stamp(request);
        return base.Send(request, cancellationToken);
    }

    private void Stamp(HttpRequestMessage request)
    {
        request.Headers.Remove(HeaderName);
        if (Value is { } value)
            request.Headers.TryAddWithoutValidation(HeaderName, value);
    }
}

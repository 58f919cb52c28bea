// Leadership of an election (CampaignAsync): the leader's key, the lease the client keeps alive
// while the handle lives, proclaiming a new value, and resigning.
// Invariants:
//  - Lost is cancelled when the leadership is lost without this handle resigning: its lease was
//    lost or its key deleted.
//  - ProclaimAsync changes the value only while this key still leads with this revision
//    (kvdb checks it in the same log entry); otherwise KvNotLeaderException.
//  - Disposing (or ResignAsync) revokes the lease, deleting the key: the next candidate leads.
using System.Globalization;

namespace KvDb.Client;

/// <summary>Leadership of an election; dispose it to resign.</summary>
public sealed class KvLeadership : IAsyncDisposable
{
    private readonly KvClient client;
    private readonly OwnedKey owned;
    private string value;

    internal KvLeadership(KvClient client, string name, string value, OwnedKey owned)
    {
        this.client = client;
        this.owned = owned;
        this.value = value;
        Name = name;
    }

    /// <summary>The election's name.</summary>
    public string Name { get; }

    /// <summary>The leader's key (under <c>_elections/{name}/</c>).</summary>
    public string Key => owned.Key;

    /// <summary>The key's create revision: increases from leader to leader.</summary>
    public long Revision => owned.Revision;

    /// <summary>The value this leader campaigned with or last proclaimed.</summary>
    public string Value => Volatile.Read(ref value);

    /// <summary>The lease the key is attached to; the client keeps it alive while the handle lives.</summary>
    public KvLease Lease => owned.Lease;

    /// <summary>Cancelled when leadership is lost (its lease lost, or its key deleted) without this handle resigning.</summary>
    public CancellationToken Lost => owned.Lost;

    /// <summary>Changes the leader's value; observers see the new value.</summary>
    /// <param name="newValue">The new value.</param>
    /// <param name="token">Cancels the proclamation.</param>
    /// <returns>The revision of the change.</returns>
    /// <exception cref="KvNotLeaderException">This key no longer leads; nothing was changed.</exception>
    /// <exception cref="KvUnavailableException">No member could take it in time.</exception>
    /// <exception cref="KvException">kvdb refused it.</exception>
    public async ValueTask<long> ProclaimAsync(string newValue, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(newValue);
        var revision = await client.ProclaimAsync(Name, Key, Revision, newValue, token).ConfigureAwait(false);
        Volatile.Write(ref value, newValue);
        return revision;
    }

    /// <summary>Steps down: revokes the lease, deleting the key, so the next candidate leads.</summary>
    /// <param name="token">Cancels the resignation (the lease then expires after its TTL).</param>
    /// <returns>True when resigned now; false when leadership had ended already.</returns>
    /// <exception cref="KvUnavailableException">No member could take it in time; leadership ends when the lease expires.</exception>
    /// <exception cref="KvException">kvdb refused it.</exception>
    public ValueTask<bool> ResignAsync(CancellationToken token = default) => owned.ReleaseAsync(token);

    /// <summary>Resigns, never throwing for kvdb's answer (leadership that could not be resigned ends when its lease expires).</summary>
    public ValueTask DisposeAsync() => owned.DisposeAsync();

    /// <inheritdoc/>
    public override string ToString() => $"leader of {Name}: {Key} (revision {Revision.ToString(CultureInfo.InvariantCulture)})";
}

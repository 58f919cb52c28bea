// Decides what each command of a committed log entry does to the state, the same way on
// every member.
// Invariants:
//  - Commands of one entry apply in order; each sees the writes of those before it (the
//    batch is consulted before the store), and the store receives the entry's writes as one
//    atomic batch.
//  - A key's revision is the index of the entry that last wrote it. Preconditions are checked
//    against the state at this point of the log, so a compare-and-swap is atomic across members.
//  - A write with an idempotency key is applied at most once while the key is remembered: a
//    retry gets the first result back. Keys are remembered for IdempotencyWindow after the
//    entry that used them (measured on the entries' proposed-at clock, never the local clock)
//    and at most MaxIdempotencyKeys at a time, oldest forgotten first.
//  - No live expiry-index key sorts below the scan start kept beside the idempotency count, so
//    a scan from there finds the same oldest keys as one from the start of the index.
//  - Membership commands keep the map one-to-one: an id maps to one URL and a URL to one id.
using System.Buffers.Binary;
using System.Text;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Leases;
using KvDb.Core.Transactions;
using KvDb.Core.Watch;

namespace KvDb.Core.State;

/// <summary>A change to the membership map made by an applied entry.</summary>
/// <param name="Id">The member's id.</param>
/// <param name="PeerUrl">The member's peer URL.</param>
/// <param name="Removed">True when the member was removed, false when it was added.</param>
public readonly record struct MembershipChange(int Id, string PeerUrl, bool Removed);

/// <summary>Applies commands to a store, producing one result per command.</summary>
public sealed partial class CommandExecutor(IKeyValueStore store, TimeSpan? historyWindow = null, long historyFloor = ChangeHistory.DefaultFloor, CommandRegistry? registry = null)
{
    private readonly CommandRegistry registry = registry ?? CommandRegistry.Default;

    /// <summary>How long an idempotency key is remembered after the write that used it.</summary>
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromMinutes(15);

    /// <summary>The most idempotency keys remembered at once; the oldest are forgotten first.</summary>
    public const int MaxIdempotencyKeys = 100_000;

    // Forgetting is spread over the writes that remember, so no entry pays for a big sweep.
    private const int ForgetPerWrite = 4;

    private readonly StoreBatch batch = new();
    private readonly List<MembershipChange> membershipChanges = [];
    private readonly ChangeRecorder changes = new(historyWindow ?? ChangeHistory.DefaultWindow, historyFloor);
    private long proposedAt;
    private byte[]? lowestRemembered;

    /// <summary>The membership changes made by the last <see cref="Execute"/>.</summary>
    public IReadOnlyList<MembershipChange> MembershipChanges => membershipChanges;

    /// <summary>Applies <paramref name="commands"/> as the entry at <paramref name="index"/> of <paramref name="term"/>, proposed at <paramref name="proposedAtUnixMs"/>.</summary>
    public void Execute(long index, long term, long proposedAtUnixMs, ReadOnlySpan<KvCommand> commands, Span<CommandResult> results)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, commands.Length, nameof(results));
        batch.Clear();
        membershipChanges.Clear();
        AuthChanged = false;
        ReleasesChanged = false;
        changes.Clear();
        leaseChanges.Clear();
        listAppends.Clear();
        proposedAt = proposedAtUnixMs;
        lowestRemembered = null;
        for (var i = 0; i < commands.Length; i++)
            results[i] = ExecuteOne(index, commands[i]);
        Recorded = changes.Write(index, proposedAtUnixMs, batch, store);
        store.Write(index, term, batch);
        PublishLeaseChanges();
    }

    /// <summary>The change record the last <see cref="Execute"/> wrote to the history, or null when it changed no key.</summary>
    public ChangeRecord? Recorded { get; private set; }

    /// <summary>The highest history revision the last <see cref="Execute"/> forgot, or 0.</summary>
    public long Forgotten => changes.Forgotten;

    private CommandResult ExecuteOne(long index, KvCommand command) => registry.HandlerOf(command).Execute(this, index, command);

    /// <summary>Whether the last <see cref="Execute"/> changed users, roles or auth settings.</summary>
    public bool AuthChanged { get; private set; }

    internal CommandResult ApplyAuth(long index, KvCommand command)
    {
        var result = AuthState.Apply(command, index, store, batch);
        AuthChanged |= result.Outcome == CommandOutcome.Applied;
        return result;
    }

    // The remembered result of an earlier write with this idempotency key, when there is one:
    // a retry gets it back (Replayed), a different write with the key is refused.
    internal bool TryReplay(string idempotencyKey, ulong fingerprint, out CommandResult result)
    {
        var storeKey = StoreKeys.ForIdempotency(idempotencyKey);
        if (Read(storeKey) is { } bytes)
        {
            var remembered = IdempotencyRecord.Decode(bytes);
            if (!IsExpired(remembered.ProposedAtUnixMs))
            {
                result = remembered.Fingerprint == fingerprint
                    ? remembered.Result with { Replayed = true }
                    : new(CommandOutcome.IdempotencyKeyReused, 0);
                return true;
            }

            Forget(idempotencyKey, remembered.ProposedAtUnixMs);
        }

        result = default;
        return false;
    }

    internal void Remember(string idempotencyKey, ulong fingerprint, CommandResult result)
    {
        Remember(idempotencyKey, new IdempotencyRecord(result, proposedAt, fingerprint));
        ForgetOldest();
    }

    private bool IsExpired(long rememberedAtUnixMs) => rememberedAtUnixMs < proposedAt - (long)IdempotencyWindow.TotalMilliseconds;

    private void Remember(string idempotencyKey, IdempotencyRecord record)
    {
        var expiryKey = StoreKeys.ForIdempotencyExpiry(record.ProposedAtUnixMs, idempotencyKey);
        batch.Put(StoreKeys.ForIdempotency(idempotencyKey), record.Encode());
        batch.Put(expiryKey, []);
        if (lowestRemembered is null || expiryKey.AsSpan().SequenceCompareTo(lowestRemembered) < 0)
            lowestRemembered = expiryKey;
        AddToIdempotencyCount(+1);
    }

    private void Forget(string idempotencyKey, long rememberedAtUnixMs)
    {
        batch.Delete(StoreKeys.ForIdempotency(idempotencyKey));
        batch.Delete(StoreKeys.ForIdempotencyExpiry(rememberedAtUnixMs, idempotencyKey));
        AddToIdempotencyCount(-1);
    }

    // Forgets keys past the window, and the oldest ones while over the bound, a few per write.
    // The scan starts at the last key it forgot: forgotten keys stay in the store as tombstones
    // until a compaction drops them, and a scan from the start of the index stepped over all of
    // them on every write (at the bound, idempotent puts fell from thousands to about a hundred
    // per second).
    private void ForgetOldest()
    {
        var forgotten = 0;
        var (_, scanFrom) = ReadIdempotencyBookkeeping();
        var from = scanFrom;
        using var view = store.OpenView();
        foreach (var (expiryKey, _) in view.Scan(from ?? StoreKeys.Start(StoreKeys.IdempotencyExpiry), StoreKeys.End(StoreKeys.IdempotencyExpiry)))
        {
            if (forgotten == ForgetPerWrite)
                break;
            if (batch.TryGetPending(expiryKey, out var pending) && pending is null)
                continue;

            var (rememberedAt, idempotencyKey) = StoreKeys.ParseIdempotencyExpiry(expiryKey);
            if (!IsExpired(rememberedAt) && IdempotencyCount() <= MaxIdempotencyKeys)
                break;

            Forget(idempotencyKey, rememberedAt);
            from = expiryKey;
            forgotten++;
        }

        // The scan sees the store, not this entry's writes: a key remembered in this entry may sort
        // below the new start (its proposer's clock runs behind), and must not be left below it.
        if (from is not null && lowestRemembered is not null && lowestRemembered.AsSpan().SequenceCompareTo(from) < 0)
            from = lowestRemembered;
        if (!ReferenceEquals(from, scanFrom))
            WriteIdempotencyBookkeeping(IdempotencyCount(), from);
    }

    // One record holds the number of keys remembered and where ForgetOldest's scan starts:
    // [count i64][scan start: an expiry-index key, absent for the start of the index].
    private (long Count, byte[]? ScanFrom) ReadIdempotencyBookkeeping()
        => Read(StoreKeys.IdempotencyCount) is { } bytes
            ? (BinaryPrimitives.ReadInt64LittleEndian(bytes), bytes.Length > sizeof(long) ? bytes[sizeof(long)..] : null)
            : (0, null);

    private long IdempotencyCount()
        => Read(StoreKeys.IdempotencyCount) is { } bytes ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;

    private void WriteIdempotencyBookkeeping(long count, byte[]? scanFrom)
    {
        var record = new byte[sizeof(long) + (scanFrom?.Length ?? 0)];
        BinaryPrimitives.WriteInt64LittleEndian(record, count);
        scanFrom?.CopyTo(record.AsSpan(sizeof(long)));
        batch.Put(StoreKeys.IdempotencyCount, record);
    }

    private void AddToIdempotencyCount(long delta)
    {
        var (count, scanFrom) = ReadIdempotencyBookkeeping();
        WriteIdempotencyBookkeeping(count + delta, scanFrom);
    }

    internal byte[]? Read(byte[] key)
    {
        if (batch.TryGetPending(key, out var pending))
            return pending;
        return store.TryGet(key, out var value) ? value : null;
    }
}

// Records a history from many concurrent test clients.
// Invariants:
//  - Thread-safe: any number of clients may Begin and complete operations at once.
//  - Call is read in Begin, before the client sends its request; Return is read in the
//    completion call, after the answer arrived. Clients must keep that order, or the recorded
//    interval may not contain the real effect and the checker may report false violations.
//  - Every handle is settled at most once: Complete, CompleteUnknown or Discard.
//  - Operations that cannot constrain the checker are not recorded: discarded ones (a request
//    that certainly had no effect) and reads whose outcome is unknown (a failed read changed nothing).
//  - A write still pending when History() is called is reported with an Unknown outcome: it may
//    yet take effect. A pending read is left out.
//  - History() returns operations in completion order; the checker needs no particular order.
using System.Diagnostics;

namespace KvDb.Tests.Linearizability;

/// <summary>
/// Collects the <see cref="Operation"/>s that concurrent test clients perform, with call and return
/// timestamps from one monotonic clock, for <see cref="LinearizabilityChecker"/>.
/// </summary>
/// <example>
/// <code>
/// var op = recorder.Begin(clientId, key, KvInput.Put(value));
/// try { await client.PutAsync(key, value); op.Complete(Outcome.Ok); }
/// catch (TimeoutException) { op.CompleteUnknown(); }
/// </code>
/// </example>
public sealed class HistoryRecorder
{
    private readonly Func<long> clock;
    private readonly object gate = new();
    private readonly List<Operation> completed = new();
    private readonly HashSet<PendingOperation> pending = new();

    /// <summary>Creates a recorder that reads <paramref name="clock"/> (default: <see cref="Stopwatch.GetTimestamp"/>).</summary>
    /// <param name="clock">A monotonic clock shared by all clients; its ticks become <see cref="Operation.Call"/> and <see cref="Operation.Return"/>.</param>
    public HistoryRecorder(Func<long>? clock = null)
    {
        this.clock = clock ?? Stopwatch.GetTimestamp;
    }

    /// <summary>The number of operations begun but not yet settled.</summary>
    public int PendingCount
    {
        get
        {
            lock (gate)
                return pending.Count;
        }
    }

    /// <summary>Starts an operation: call this immediately before sending the request.</summary>
    public PendingOperation Begin(int clientId, string key, KvInput input)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(input);
        var operation = new PendingOperation(this, clientId, key, input, clock());
        lock (gate)
            pending.Add(operation);
        return operation;
    }

    /// <summary>
    /// A snapshot of the history so far: every completed operation, plus every write still pending
    /// as an operation with an Unknown outcome.
    /// </summary>
    public IReadOnlyList<Operation> History()
    {
        var now = clock();
        lock (gate)
        {
            var history = new List<Operation>(completed.Count + pending.Count);
            history.AddRange(completed);
            foreach (var operation in pending)
                if (operation.Input.IsWrite)
                    history.Add(operation.ToOperation(Outcome.Unknown, Math.Max(now, operation.Call)));
            return history;
        }
    }

    internal void Settle(PendingOperation operation, Operation? result)
    {
        lock (gate)
        {
            if (!pending.Remove(operation))
                throw new InvalidOperationException($"Operation {operation} was already completed or discarded.");
            if (result is not null)
                completed.Add(result);
        }
    }

    internal long Now() => clock();
}

/// <summary>
/// An operation whose request is in flight. Settle it exactly once: <see cref="Complete"/> with the
/// answer, <see cref="CompleteUnknown"/> when the outcome is unknown, or <see cref="Discard"/> when the
/// request certainly had no effect.
/// </summary>
public sealed class PendingOperation
{
    private readonly HistoryRecorder recorder;

    internal PendingOperation(HistoryRecorder recorder, int clientId, string key, KvInput input, long call)
    {
        this.recorder = recorder;
        ClientId = clientId;
        Key = key;
        Input = input;
        Call = call;
    }

    /// <summary>The client that issued the operation.</summary>
    public int ClientId { get; }

    /// <summary>The key the operation acts on.</summary>
    public string Key { get; }

    /// <summary>What was asked.</summary>
    public KvInput Input { get; }

    /// <summary>Clock ticks read when the operation began.</summary>
    public long Call { get; }

    /// <summary>Records the answer: call this immediately after it arrived.</summary>
    /// <exception cref="ArgumentException">The outcome cannot belong to this operation's input.</exception>
    /// <exception cref="InvalidOperationException">The operation was already settled.</exception>
    public void Complete(Outcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var result = ToOperation(outcome, recorder.Now());
        recorder.Settle(this, result.IsOutcomeUnknown && !Input.IsWrite ? null : result);
    }

    /// <summary>
    /// Records that the client cannot tell whether the operation took effect (timeout, connection
    /// reset, 503 with "outcome unknown"). A read with an unknown outcome is dropped.
    /// </summary>
    public void CompleteUnknown() => Complete(Outcome.Unknown);

    /// <summary>Drops the operation: the request certainly had no effect (e.g. refused before it was proposed), or was a failed read.</summary>
    public void Discard() => recorder.Settle(this, null);

    internal Operation ToOperation(Outcome outcome, long @return) => new(ClientId, Key, Input, outcome, Call, @return);

    /// <inheritdoc/>
    public override string ToString() => $"client {ClientId} {ValueText.Of(Key)}: {Input} called at {Call}";
}

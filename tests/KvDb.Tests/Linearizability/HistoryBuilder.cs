// Builds hand-written histories for the checker's tests, with times in milliseconds.
// Invariants:
//  - Times given in ms are converted to Stopwatch ticks, so explanations print them back as ms.
//  - Operations keep the order they were added in, so "#n" in an explanation is the n-th call
//    made on the builder.
//  - Each method adds one operation on the current key (see ForKey) and returns the builder.
using System.Diagnostics;

namespace KvDb.Tests.Linearizability;

/// <summary>A fluent builder of histories for tests; times are in milliseconds.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<Operation> operations = new();
    private string key;

    public HistoryBuilder(string key = "k")
    {
        this.key = key;
    }

    public static long Ticks(double ms) => (long)Math.Round(ms * Stopwatch.Frequency / 1000.0);

    /// <summary>Makes later operations act on <paramref name="newKey"/>.</summary>
    public HistoryBuilder ForKey(string newKey)
    {
        key = newKey;
        return this;
    }

    public HistoryBuilder Put(int client, string value, double call, double ret)
        => Add(client, KvInput.Put(value), Outcome.Ok, call, ret);

    /// <summary>A put whose client timed out at <paramref name="gaveUp"/>.</summary>
    public HistoryBuilder PutUnknown(int client, string value, double call, double gaveUp)
        => Add(client, KvInput.Put(value), Outcome.Unknown, call, gaveUp);

    public HistoryBuilder Delete(int client, double call, double ret)
        => Add(client, KvInput.Delete, Outcome.Ok, call, ret);

    public HistoryBuilder DeleteUnknown(int client, double call, double gaveUp)
        => Add(client, KvInput.Delete, Outcome.Unknown, call, gaveUp);

    /// <summary>A read that returned <paramref name="value"/> (null: not found).</summary>
    public HistoryBuilder Get(int client, string? value, double call, double ret)
        => Add(client, KvInput.Get, Outcome.FromRead(value), call, ret);

    public HistoryBuilder Cas(int client, string? expected, string newValue, bool succeeded, double call, double ret)
        => Add(client, KvInput.Cas(expected, newValue), succeeded ? Outcome.Ok : Outcome.PreconditionFailed, call, ret);

    public HistoryBuilder CasUnknown(int client, string? expected, string newValue, double call, double gaveUp)
        => Add(client, KvInput.Cas(expected, newValue), Outcome.Unknown, call, gaveUp);

    /// <summary>Adds an operation as given, for timestamps that are not whole ticks of a millisecond.</summary>
    public HistoryBuilder Add(Operation operation)
    {
        operations.Add(operation);
        return this;
    }

    public IReadOnlyList<Operation> Build() => operations.ToList();

    private HistoryBuilder Add(int client, KvInput input, Outcome output, double call, double ret)
    {
        operations.Add(new Operation(client, key, input, output, Ticks(call), Ticks(ret)));
        return this;
    }
}

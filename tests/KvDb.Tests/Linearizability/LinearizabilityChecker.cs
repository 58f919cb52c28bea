// Checks a recorded history of a key-value store for linearizability against a per-key register.
// Invariants:
//  - P-compositionality: a history is linearizable exactly when the sub-history of every key is
//    (linearizability is a local property), so each key is searched on its own.
//  - Keys are checked fewest operations first (then by ordinal name): cheap keys are covered
//    before a hard one can use up the time, and runs are deterministic.
//  - One deadline covers the whole check, and each key's memo is bounded (KeySearch). IsLinearizable
//    is true only if every key was proven linearizable within both. A violation found is reported
//    even if a later key ran out of budget.
//  - Every key found not linearizable is listed in ViolatingKeys; the explanation details the
//    first few of them.
using System.Diagnostics;

namespace KvDb.Tests.Linearizability;

/// <summary>The verdict of <see cref="LinearizabilityChecker.Check"/>.</summary>
/// <param name="IsLinearizable">True only if every key's history was proven linearizable before the timeout.</param>
/// <param name="TimedOut">
/// True if the check stopped before every key had a verdict: the timeout passed, or one key needed more
/// than 2,000,000 search configurations, a memory bound (the explanation says which).
/// </param>
/// <param name="Explanation">Null when linearizable; otherwise a readable account of the violation(s) and/or the timeout.</param>
public sealed record CheckResult(bool IsLinearizable, bool TimedOut, string? Explanation)
{
    /// <summary>The keys proven not linearizable, in the order they were checked.</summary>
    public IReadOnlyList<string> ViolatingKeys { get; init; } = Array.Empty<string>();

    /// <summary>True if at least one key was proven not linearizable (a definite bug, whether or not the check timed out).</summary>
    public bool FoundViolation => ViolatingKeys.Count > 0;

    /// <inheritdoc/>
    public override string ToString()
        => IsLinearizable ? "linearizable" : Explanation ?? (TimedOut ? "timed out" : "not linearizable");
}

/// <summary>
/// A Wing &amp; Gong / Lowe linearizability checker (as in Porcupine) for histories of a key-value
/// store whose keys behave as independent registers supporting Get, Put, Delete and compare-and-set.
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>How many violating keys the explanation describes in full.</summary>
    private const int KeysExplained = 3;

    /// <summary>
    /// Decides whether <paramref name="history"/> is linearizable, spending at most about
    /// <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).
    /// </summary>
    /// <param name="history">The operations, in any order; timestamps are Stopwatch ticks.</param>
    /// <param name="timeout">The time budget for the whole check.</param>
    public static CheckResult Check(IReadOnlyList<Operation> history, TimeSpan timeout)
        => Check(history, timeout, KeySearch.DefaultMaxConfigurations);

    /// <summary>As <see cref="Check(IReadOnlyList{Operation}, TimeSpan)"/>, with a memory bound per key (for tests).</summary>
    internal static CheckResult Check(IReadOnlyList<Operation> history, TimeSpan timeout, int maxConfigurationsPerKey)
    {
        ArgumentNullException.ThrowIfNull(history);
        var deadline = DeadlineAfter(timeout);
        var violations = new List<KeyVerdict>();
        var keys = PartitionByKey(history);

        for (var i = 0; i < keys.Count; i++)
        {
            var verdict = KeySearch.Run(keys[i], deadline, maxConfigurationsPerKey);
            if (verdict.Kind == KeyVerdictKind.NotLinearizable)
                violations.Add(verdict);
            else if (verdict.Kind is KeyVerdictKind.TimedOut or KeyVerdictKind.TooManyConfigurations)
                return TimedOutResult(history, violations, verdict, checkedKeys: i, keys.Count, timeout);
        }

        return violations.Count == 0
            ? new CheckResult(IsLinearizable: true, TimedOut: false, Explanation: null)
            : ViolationResult(history, violations, timedOut: false, timeoutNote: null);
    }

    private static long DeadlineAfter(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
            return long.MaxValue;
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive or Timeout.InfiniteTimeSpan.");
        var ticks = timeout.TotalSeconds * Stopwatch.Frequency;
        var now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    /// <summary>Splits the history by key, each key keeping the operations' positions in the history.</summary>
    private static List<KeyHistory> PartitionByKey(IReadOnlyList<Operation> history)
    {
        var byKey = new Dictionary<string, List<(Operation, int)>>(StringComparer.Ordinal);
        for (var i = 0; i < history.Count; i++)
        {
            var operation = history[i] ?? throw new ArgumentException($"history[{i}] is null.", nameof(history));
            if (!byKey.TryGetValue(operation.Key, out var ofKey))
                byKey.Add(operation.Key, ofKey = new List<(Operation, int)>());
            ofKey.Add((operation, i));
        }
        return byKey
            .OrderBy(pair => pair.Value.Count)
            .ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => KeyHistory.Compile(pair.Key, pair.Value))
            .ToList();
    }

    private static CheckResult ViolationResult(IReadOnlyList<Operation> history, List<KeyVerdict> violations, bool timedOut, string? timeoutNote)
    {
        var report = new ViolationReport(history);
        var keys = violations.Select(v => v.History.Key).ToList();
        var text = ViolationReport.Summarise(keys)
            + string.Concat(violations.Take(KeysExplained).Select(v => Environment.NewLine + report.Describe(v)))
            + (timeoutNote is null ? "" : Environment.NewLine + timeoutNote);
        return new CheckResult(IsLinearizable: false, timedOut, text) { ViolatingKeys = keys };
    }

    private static CheckResult TimedOutResult(IReadOnlyList<Operation> history, List<KeyVerdict> violations, KeyVerdict stopped, int checkedKeys, int keyCount, TimeSpan timeout)
    {
        var why = stopped.Kind == KeyVerdictKind.TimedOut
            ? $"Timed out after {timeout.TotalSeconds:0.###} s"
            : "Gave up at the memory bound (too many configurations remembered)";
        var note = $"{why} on key {ValueText.Of(stopped.History.Key)} "
            + $"({stopped.History.Operations.Count} operations, {stopped.ConfigurationsExplored} configurations explored); "
            + $"{checkedKeys} of {keyCount} keys had a verdict before it; it and the {keyCount - checkedKeys - 1} after it are unchecked.";
        return violations.Count == 0
            ? new CheckResult(IsLinearizable: false, TimedOut: true, note + " No violation was found in the keys checked.")
            : ViolationResult(history, violations, timedOut: true, note);
    }
}

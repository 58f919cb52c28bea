// Turns the search's deepest dead end on a key into text a developer can debug from.
// Invariants:
//  - Times are milliseconds relative to the earliest call in the WHOLE history (so lines from
//    different keys line up), assuming Stopwatch ticks; an unknown outcome's return is shown
//    as +inf with the time the client gave up.
//  - Operations are named by their index in the history given to the checker (#n) and client.
//  - The prefix shown is the longest linearizable prefix the search found: a useful witness, not
//    a unique one. The operations left are listed candidates first (those that could have come
//    next, each with the model's reason to reject it), then a few that could not come yet.
//    Long lists are cut to the part nearest the failure, and say what was cut.
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace KvDb.Tests.Linearizability;

/// <summary>Formats violations found by <see cref="KeySearch"/>.</summary>
internal sealed class ViolationReport
{
    private const int MaxPrefixShown = 20;
    private const int MaxCandidatesShown = 20;
    private const int MaxLaterShown = 5;

    private readonly long origin;

    public ViolationReport(IReadOnlyList<Operation> history)
    {
        origin = history.Count == 0 ? 0 : history.Min(o => o.Call);
    }

    /// <summary>The first line: which keys failed.</summary>
    public static string Summarise(IReadOnlyList<string> keys)
        => $"Not linearizable: {Count(keys.Count, "key")} with no legal order: {string.Join(", ", keys.Take(10).Select(ValueText.Of))}"
            + (keys.Count > 10 ? $" and {keys.Count - 10} more" : "")
            + ". Times are ms since the first call in the history.";

    /// <summary>The longest linearizable prefix of one key and the operations that could not follow it.</summary>
    public string Describe(KeyVerdict verdict)
    {
        var history = verdict.History;
        var deadEnd = verdict.DeadEnd!;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Key {ValueText.Of(history.Key)}: {Count(history.Operations.Count, "operation")} checked; at most {deadEnd.Prefix.Count} "
            + $"could be put in an order that respects real time and a register's behaviour ({verdict.ConfigurationsExplored} configurations explored).");
        AppendPrefix(text, history, deadEnd);
        AppendUnplaced(text, history, deadEnd);
        return text.ToString();
    }

    private void AppendPrefix(StringBuilder text, KeyHistory history, DeadEnd deadEnd)
    {
        var prefix = deadEnd.Prefix;
        var noEffect = prefix.Count(f => f.Step == Step.NoEffect);
        text.AppendLine($"  Longest linearizable prefix found ({Count(prefix.Count, "operation")}, in linearization order"
            + (noEffect > 0 ? $"; {NoEffectNote(noEffect)}):" : "):"));
        var skipped = Math.Max(0, prefix.Count - MaxPrefixShown);
        if (skipped > 0)
            text.AppendLine(CultureInfo.InvariantCulture, $"    ... {skipped} earlier operations omitted");
        for (var i = skipped; i < prefix.Count; i++)
        {
            var after = history.Values.Describe(i + 1 < prefix.Count ? prefix[i + 1].StateBefore : deadEnd.State);
            var effect = prefix[i].Step == Step.NoEffect ? $"took no effect, register still {after}" : $"register {after}";
            text.AppendLine(CultureInfo.InvariantCulture, $"    {Line(history, prefix[i].Operation)}  => {effect}");
        }
        if (prefix.Count == 0)
            text.AppendLine("    (none: not even the first operation fits)");
        text.AppendLine(CultureInfo.InvariantCulture, $"  Register after the prefix: {history.Values.Describe(deadEnd.State)}");
    }

    private void AppendUnplaced(StringBuilder text, KeyHistory history, DeadEnd deadEnd)
    {
        var placed = deadEnd.Prefix.Select(f => f.Operation).ToHashSet();
        var unplaced = Enumerable.Range(0, history.Operations.Count).Where(i => !placed.Contains(i)).ToList();
        var blockingReturn = history.Operations[deadEnd.Blocking].Return;
        var candidates = unplaced.Where(i => history.Operations[i].Call <= blockingReturn).ToList();
        var later = unplaced.Count - candidates.Count;

        text.AppendLine(CultureInfo.InvariantCulture, $"  Operations that could not be placed after it ({unplaced.Count}; those that could have come next first):");
        foreach (var i in candidates.Take(MaxCandidatesShown))
        {
            var marker = i == deadEnd.Blocking ? "  --> " : "      ";
            text.AppendLine(CultureInfo.InvariantCulture, $"{marker}{Line(history, i)}  {WhyRejected(history, deadEnd, i)}");
        }
        if (candidates.Count > MaxCandidatesShown)
            text.AppendLine(CultureInfo.InvariantCulture, $"      ... {candidates.Count - MaxCandidatesShown} more that could have come next omitted");
        foreach (var i in unplaced.Except(candidates).Take(MaxLaterShown))
            text.AppendLine(CultureInfo.InvariantCulture, $"      {Line(history, i)}  [cannot come yet: called after {Name(history, deadEnd.Blocking)} returned]");
        if (later > MaxLaterShown)
            text.AppendLine(CultureInfo.InvariantCulture, $"      ... {later - MaxLaterShown} later operations omitted");
        text.AppendLine(BlockingNote(history, deadEnd.Blocking));
    }

    private static string BlockingNote(KeyHistory history, int blocking)
        => history.Operations[blocking].IsOutcomeUnknown
            ? $"  --> marks {Name(history, blocking)}: only writes with unknown outcome are left and every order of them was already explored."
            : $"  --> marks {Name(history, blocking)}: it returned first among the operations left, so the next one had to be it or one overlapping it; none fits.";

    private static string WhyRejected(KeyHistory history, DeadEnd deadEnd, int operation)
    {
        var op = history.Operations[operation];
        var reason = RegisterModel.WhyRejected(deadEnd.State, op, history.Values);
        return reason is null
            ? "[fits here, but nothing can follow it]"
            : $"[rejected: {reason}{WritersOf(history, op)}]";
    }

    /// <summary>For a rejected read or successful Cas: which operations write the value it needed, so the reader can look at them.</summary>
    private static string WritersOf(KeyHistory history, KeyOperation rejected)
    {
        var needed = rejected.Kind == OpKind.Get ? rejected.ReadValue : rejected.Expected;
        if (needed == ValueTable.Absent || (rejected.Kind == OpKind.Cas && rejected.Outcome != OutcomeKind.Ok))
            return "";
        var writers = history.Operations
            .Where(o => o.Kind is OpKind.Put or OpKind.Cas && o.Written == needed)
            .Select(o => $"#{o.HistoryIndex}")
            .ToList();
        var value = history.Values.Describe(needed);
        return writers.Count == 0
            ? $"; no operation on this key writes {value}"
            : $"; {value} is written by {string.Join(", ", writers.Take(5))}{(writers.Count > 5 ? ", ..." : "")}";
    }

    private string Line(KeyHistory history, int operation)
    {
        var op = history.Source[operation];
        var returned = op.IsOutcomeUnknown ? $"+inf (gave up {Ms(op.Return)})" : Ms(op.Return);
        return $"{Name(history, operation),-7} client {op.ClientId,-3} [{Ms(op.Call)}, {returned}]  {op.Input} -> {op.Output}";
    }

    private static string NoEffectNote(int count) => count == 1
        ? "1 of them an unknown-outcome write nothing could observe, taken as having had no effect"
        : $"{count} of them unknown-outcome writes nothing could observe, taken as having had no effect";

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string Name(KeyHistory history, int operation) => $"#{history.Operations[operation].HistoryIndex}";

    private string Ms(long ticks)
        => "+" + ((ticks - origin) * 1000.0 / Stopwatch.Frequency).ToString("0.000", CultureInfo.InvariantCulture);
}

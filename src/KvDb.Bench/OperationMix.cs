// The --mix flag: what share of operations is each kind, e.g. "put=50,get=50".
// Invariants: percentages are whole numbers from 0 to 100 that add up to exactly 100 (a mix
// that does not is a typo, not a weighting), each kind is named at most once, and Choose maps
// a roll in [0, 100) to a kind with probability equal to its percentage.
using System.Globalization;
using System.Text;

namespace KvDb.Bench;

/// <summary>The share of each <see cref="OperationKind"/> in a workload, in percent.</summary>
public sealed class OperationMix
{
    // thresholds[k] is the first roll that is not kind k or an earlier kind; a roll picks the
    // first kind whose threshold is above it. An array lookup keeps Choose allocation-free.
    private readonly int[] thresholds;
    private readonly int[] percents;

    private OperationMix(int[] percents)
    {
        this.percents = percents;
        thresholds = new int[percents.Length];
        var sum = 0;
        for (var i = 0; i < percents.Length; i++)
        {
            sum += percents[i];
            thresholds[i] = sum;
        }
    }

    /// <summary>The percentage of <paramref name="kind"/> (0 to 100).</summary>
    public int Percent(OperationKind kind) => percents[(int)kind];

    /// <summary>True when the mix issues <paramref name="kind"/> at all.</summary>
    public bool Has(OperationKind kind) => percents[(int)kind] > 0;

    /// <summary>Picks the kind for a uniformly random <paramref name="roll"/> in [0, 100).</summary>
    public OperationKind Choose(int roll)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(roll);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(roll, 100);
        for (var i = 0; i < thresholds.Length; i++)
        {
            if (roll < thresholds[i])
                return (OperationKind)i;
        }

        throw new InvalidOperationException("percentages add up to 100, so some kind is always chosen");
    }

    /// <summary>Picks a kind with <paramref name="random"/>.</summary>
    public OperationKind Choose(Random random) => Choose(random.Next(100));

    /// <summary>The mix written as <c>--mix</c> takes it, kinds with 0% left out.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < percents.Length; i++)
        {
            if (percents[i] == 0)
                continue;
            if (text.Length > 0)
                text.Append(',');
            text.Append(OperationKinds.Name((OperationKind)i)).Append('=').Append(percents[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>Parses "put=50,get=50"; on failure <paramref name="error"/> says what is wrong in one line.</summary>
    public static bool TryParse(string text, out OperationMix? mix, out string? error)
    {
        mix = null;
        var percents = new int[OperationKinds.Count];
        var named = new bool[OperationKinds.Count];
        var total = 0;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq < 0)
            {
                error = $"--mix entry '{part}' is not kind=percent, e.g. put=50,get=50";
                return false;
            }

            var name = part[..eq].Trim();
            if (!OperationKinds.TryParse(name, out var kind))
            {
                error = $"--mix names unknown operation '{name}'; the operations are put, get, txn, append and lease";
                return false;
            }

            if (named[(int)kind])
            {
                error = $"--mix names '{OperationKinds.Name(kind)}' twice";
                return false;
            }

            var number = part[(eq + 1)..].Trim();
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent > 100)
            {
                error = $"--mix percentage '{number}' for {OperationKinds.Name(kind)} must be a whole number from 0 to 100";
                return false;
            }

            named[(int)kind] = true;
            percents[(int)kind] = percent;
            total += percent;
        }

        if (total != 100)
        {
            error = $"--mix '{text}' adds up to {total}%; the percentages must add up to 100, e.g. put=50,get=50";
            return false;
        }

        mix = new OperationMix(percents);
        error = null;
        return true;
    }

    /// <summary>Parses a mix known to be valid; throws <see cref="FormatException"/> otherwise.</summary>
    public static OperationMix Parse(string text)
        => TryParse(text, out var mix, out var error) ? mix! : throw new FormatException(error);
}

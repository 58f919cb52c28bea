// One condition of a transaction ("if"): a key's target compared with a value. Made by Compare
// (Compare.Revision("k") == 41, Compare.Exists("k"), Compare.Value("k") != "x").
// Invariants: immutable; Number is used by the numeric targets and Exists (1 true, 0 false),
// Text by Value; an Exists comparison only uses == or !=.
using System.Globalization;
using System.Text.Json;
using KvDb.Contracts;

namespace KvDb.Client;

/// <summary>A condition of a <see cref="KvTransaction"/>: all must hold for its <c>Then</c> branch to run.</summary>
public sealed class TxnComparison
{
    internal TxnComparison(string key, TxnTarget target, TxnOperator op, long number, string? text, CompareRange? range = null)
    {
        if (range is null)
            KeyPaths.Validate(key);
        else
            ArgumentNullException.ThrowIfNull(key);
        Range = range;
        Key = key;
        Target = target;
        Operator = op;
        Number = number;
        Text = text;
    }

    /// <summary>The key compared, or the first key of <see cref="Range"/>.</summary>
    public string Key { get; }

    /// <summary>The range compared, every key of which must satisfy the comparison; null for one key.</summary>
    public CompareRange? Range { get; }

    /// <summary>What is compared.</summary>
    public TxnTarget Target { get; }

    /// <summary>How.</summary>
    public TxnOperator Operator { get; }

    /// <summary>The number compared with (revision, create revision, version; for <see cref="TxnTarget.Exists"/> 1 for true, 0 for false).</summary>
    public long Number { get; }

    /// <summary>The text compared with, for <see cref="TxnTarget.Value"/>; null otherwise.</summary>
    public string? Text { get; }

    /// <summary>The comparison as the contract's record: the value is a string, true/false or a number by target; a range as "prefix" or "start"/"end".</summary>
    internal TxnCompareJson ToContract()
    {
        var single = Target switch
        {
            TxnTarget.Value => TxnCompareJson.Text(Key, TxnTargetNames.Value, OperatorText(Operator), Text ?? ""),
            TxnTarget.Exists => TxnCompareJson.Flag(Key, TxnTargetNames.Exists, OperatorText(Operator), Number != 0),
            TxnTarget.Revision => TxnCompareJson.Number(Key, TxnTargetNames.Revision, OperatorText(Operator), Number),
            TxnTarget.CreateRevision => TxnCompareJson.Number(Key, TxnTargetNames.CreateRevision, OperatorText(Operator), Number),
            TxnTarget.Count => TxnCompareJson.Number(Key, TxnTargetNames.Count, OperatorText(Operator), Number),
            _ => TxnCompareJson.Number(Key, TxnTargetNames.Version, OperatorText(Operator), Number),
        };
        return Range switch
        {
            null => single,
            { IsPrefix: true } range => single with { Key = null, Prefix = range.Start },
            var range => single with { Key = null, Start = range.Start, End = range.End },
        };
    }

    internal static string OperatorText(TxnOperator op) => op switch
    {
        TxnOperator.Equal => TxnOperatorNames.Equal,
        TxnOperator.NotEqual => TxnOperatorNames.NotEqual,
        TxnOperator.Less => TxnOperatorNames.Less,
        _ => TxnOperatorNames.Greater,
    };

    /// <inheritdoc/>
    public override string ToString()
    {
        var value = Target switch
        {
            TxnTarget.Value => JsonSerializer.Serialize(Text),
            TxnTarget.Exists => Number != 0 ? "true" : "false",
            _ => Number.ToString(CultureInfo.InvariantCulture),
        };
        return $"{Target.ToString().ToLowerInvariant()}({Range?.ToString() ?? Key}) {OperatorText(Operator)} {value}";
    }
}

// One condition of a transaction ("if"): a key's target compared with a value. Made by Compare
// (Compare.Revision("k") == 41, Compare.Exists("k"), Compare.Value("k") != "x").
// Invariants: immutable; Number is used by the numeric targets and Exists (1 true, 0 false),
// Text by Value; an Exists comparison only uses == or !=.
using System.Globalization;
using System.Text.Json;

namespace KvDb.Client;

/// <summary>A condition of a <see cref="KvTransaction"/>: all must hold for its <c>Then</c> branch to run.</summary>
public sealed class TxnComparison
{
    internal TxnComparison(string key, TxnTarget target, TxnOperator op, long number, string? text)
    {
        KeyPaths.Validate(key);
        Key = key;
        Target = target;
        Operator = op;
        Number = number;
        Text = text;
    }

    /// <summary>The key compared.</summary>
    public string Key { get; }

    /// <summary>What is compared.</summary>
    public TxnTarget Target { get; }

    /// <summary>How.</summary>
    public TxnOperator Operator { get; }

    /// <summary>The number compared with (revision, create revision, version; for <see cref="TxnTarget.Exists"/> 1 for true, 0 for false).</summary>
    public long Number { get; }

    /// <summary>The text compared with, for <see cref="TxnTarget.Value"/>; null otherwise.</summary>
    public string? Text { get; }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("key", Key);
        json.WriteString("target", Target switch
        {
            TxnTarget.Revision => "revision",
            TxnTarget.CreateRevision => "createRevision",
            TxnTarget.Version => "version",
            TxnTarget.Value => "value",
            _ => "exists",
        });
        json.WriteString("op", OperatorText(Operator));
        switch (Target)
        {
            case TxnTarget.Value:
                json.WriteString("value", Text);
                break;
            case TxnTarget.Exists:
                json.WriteBoolean("value", Number != 0);
                break;
            default:
                json.WriteNumber("value", Number);
                break;
        }

        json.WriteEndObject();
    }

    internal static string OperatorText(TxnOperator op) => op switch
    {
        TxnOperator.Equal => "==",
        TxnOperator.NotEqual => "!=",
        TxnOperator.Less => "<",
        _ => ">",
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
        return $"{Target.ToString().ToLowerInvariant()}({Key}) {OperatorText(Operator)} {value}";
    }
}

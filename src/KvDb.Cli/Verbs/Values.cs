// Parsers of the values client commands take (durations, revisions, lease ids, consistency), as
// Flag<T> parsers: each throws FormatException with a one-line message naming the flag.
using System.Globalization;
using KvDb.Client;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary>Parsers of command values.</summary>
internal static class Values
{
    /// <summary>A positive whole number (a revision, a lease id).</summary>
    public static Func<string, long?> Positive(string name) => text =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new FormatException($"{name} '{text}' must be a positive whole number");

    /// <summary>A revision, 0 or more.</summary>
    public static Func<string, long?> Revision(string name) => text =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{name} '{text}' must be a revision (a whole number, 0 or more)");

    /// <summary>The --rev flag of reads at a past revision.</summary>
    public static Flag<long?> RevisionFlag(string summary) => new("rev", "REVISION", "now", summary, Revision("--rev"), defaultValue: static () => null);

    /// <summary>A duration from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Func<string, TimeSpan?> Span(string name, TimeSpan min, TimeSpan max) => text =>
        Duration.TryParse(text, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{name} '{text}' must be a duration from {Duration.Format(min)} to {Duration.Format(max)}, like 10s");

    /// <summary>linearizable or local.</summary>
    public static ReadConsistency Consistency(string text) => text.ToLowerInvariant() switch
    {
        "linearizable" => ReadConsistency.Linearizable,
        "local" => ReadConsistency.Local,
        _ => throw new FormatException($"--consistency '{text}' is not linearizable or local"),
    };

    /// <summary>The --consistency flag of reads.</summary>
    public static Flag<ReadConsistency> ConsistencyFlag() => new("consistency", "MODE", "linearizable", "linearizable (sees every acknowledged write), or local (the answering member's state at once; may lag).", Consistency);

    /// <summary>Parses a positional value with <paramref name="parse"/>, as a flag would.</summary>
    /// <exception cref="FormatException">It does not parse.</exception>
    public static T Parse<T>(Func<string, T?> parse, string text)
        where T : struct
        => parse(text) ?? throw new FormatException($"'{text}' is not valid");

    /// <summary>A TTL of a lease (1 s to 7 days).</summary>
    public static readonly Func<string, TimeSpan?> Ttl = Span("TTL", TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));

    /// <summary>A lease id.</summary>
    public static readonly Func<string, long?> LeaseId = Positive("lease id");
}

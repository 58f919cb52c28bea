namespace KvDb.Node.Streams;

/// <summary>Settings of the S2 streams API.</summary>
public sealed record StreamsOptions
{
    /// <summary>The defaults.</summary>
    public static readonly StreamsOptions Default = new();

    /// <summary>How often the leader enforces retention and delete_on_empty (--s2-retention-interval); zero: never.</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromSeconds(10);
}

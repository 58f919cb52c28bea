// What a watch follows and what it yields besides changes.

namespace KvDb.Client;

/// <summary>Options of <see cref="KvClient.WatchAsync"/>.</summary>
public sealed class WatchOptions
{
    /// <summary>Watch every key that starts with the given text (true), or that one key (false, the default).</summary>
    public bool Prefix { get; init; }

    /// <summary>Include the replaced or deleted value in each event (<see cref="WatchEvent.PreviousValue"/>).</summary>
    public bool IncludePrevious { get; init; }

    /// <summary>Yield progress marks too (<see cref="WatchEventType.Progress"/>); the watch uses them itself either way.</summary>
    public bool IncludeProgress { get; init; }

    /// <summary>
    /// How often the member reports progress while nothing matches (100 ms to 10 min, default 5 s).
    /// A connection that delivers nothing for three of these is taken as lost, and the watch moves to another member.
    /// </summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Watches every key starting with a prefix.</summary>
    public static WatchOptions ForPrefix { get; } = new() { Prefix = true };
}

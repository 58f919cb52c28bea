// The watch feature's settings, bound from the member's flags (--watch-slow-reader-timeout) by
// WatchFeature. The history window itself belongs to the state machine (--watch-history).
namespace KvDb.Node.Watch;

/// <summary>Options of the watch feature.</summary>
public sealed class WatchOptions
{
    /// <summary>How long a watch whose client stopped reading is kept before it is cut off.</summary>
    public TimeSpan SlowReaderTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

// The kinds of event a watch yields; "compacted" is not one of them, it ends the watch with
// KvCompactedException.

namespace KvDb.Client;

/// <summary>What a <see cref="WatchEvent"/> reports.</summary>
public enum WatchEventType
{
    /// <summary>A key was written.</summary>
    Put,

    /// <summary>A key was deleted.</summary>
    Delete,

    /// <summary>Every matching change up to the event's revision has been delivered (only with <see cref="WatchOptions.IncludeProgress"/>).</summary>
    Progress,
}

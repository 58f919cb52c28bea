// What a log line may need beyond its command: the change record of its entry (a transaction's
// outcome is only there), and the command's rank among the entry's commands of its type.
using KvDb.Core.Watch;

namespace KvDb.Core.Commands;

/// <summary>The entry a command's log line belongs to.</summary>
public sealed class LogLineContext(long index, Func<long, ChangeRecord?>? history)
{
    private ChangeRecord? record;
    private bool looked;

    /// <summary>The entry's index.</summary>
    public long Index { get; } = index;

    /// <summary>How many commands of the same type came before this one in the entry.</summary>
    public int Ordinal { get; set; }

    /// <summary>The entry's change record, or null when the history no longer holds it (or none is kept).</summary>
    public ChangeRecord? Record
    {
        get
        {
            if (!looked)
            {
                record = history?.Invoke(Index);
                looked = true;
            }

            return record;
        }
    }
}

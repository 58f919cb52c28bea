// Response headers that several features answer with.
namespace KvDb.Node.HttpKit;

/// <summary>kvdb's own HTTP headers.</summary>
public static class KvdbHeaders
{
    /// <summary>The revision a read was served at (the next ?index= to wait on, or a watch's start).</summary>
    public const string Index = "X-Kvdb-Index";
}

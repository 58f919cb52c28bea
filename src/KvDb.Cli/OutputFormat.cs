// How a command prints its result (-o text|json).

namespace KvDb.Cli;

/// <summary>The output format of a command.</summary>
public enum OutputFormat
{
    /// <summary>For people and simple scripts: values as they are, one item per line.</summary>
    Text,

    /// <summary>One JSON document (or, for streams, one JSON object per line).</summary>
    Json,
}

// The one exception type every typed-value parser and decoder throws for bad input.
// Invariants:
//  - Message is "<Path>: <Reason>", so it always says where and what.
//  - Path is a JSONPath-like location ("$.value.Set[1].Map.k1"); for binary input it names the
//    same logical location, rooted at "$".
//  - Reason never embeds unbounded user text: quoted input is truncated.
namespace KvDb.Core.Values;

/// <summary>
/// Thrown when JSON or MessagePack input is not a valid typed value (or request envelope).
/// <see cref="Exception.Message"/> is <c>"{Path}: {Reason}"</c>.
/// </summary>
public sealed class TypedValueFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at <paramref name="path"/>.</summary>
    public TypedValueFormatException(string path, string reason, Exception? innerException = null)
        : base($"{path}: {reason}", innerException)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>Where the problem is, e.g. <c>$.value.Set[1].Map.k1</c>.</summary>
    public string Path { get; }

    /// <summary>What the problem is, without the location.</summary>
    public string Reason { get; }
}

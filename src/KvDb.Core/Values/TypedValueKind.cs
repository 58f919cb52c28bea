// The eight kinds of a typed value, in the declaration order of the S2 reference enum.
// Invariants:
//  - The numeric value of each member is its rank in the cross-kind total order
//    (Bool < Float < Int < List < Map < Set < Str < UInt, like Rust's derived Ord).
//  - The numeric value is also the tag written by TypedValueCodec, so it is part of the
//    on-disk format: never renumber or reorder a member.
using System.Diagnostics.CodeAnalysis;

namespace KvDb.Core.Values;

/// <summary>
/// The kind of a <see cref="TypedValue"/>. Members are declared, numbered and ordered exactly
/// like the variants of the S2 example's <c>Value</c> enum; the number is also the binary tag.
/// </summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The names are the S2 reference's Value variants and the type tags of kvdb's typed-value JSON ({\"Int\": 1}); renaming would part the code from the format it implements.")]
public enum TypedValueKind : byte
{
    /// <summary>A boolean.</summary>
    Bool = 0,

    /// <summary>A finite IEEE 754 double (an <c>OrderedFloat&lt;f64&gt;</c> in the reference).</summary>
    Float = 1,

    /// <summary>A signed 64-bit integer.</summary>
    Int = 2,

    /// <summary>An ordered sequence of values.</summary>
    List = 3,

    /// <summary>A map from string keys to values, ordered by key (UTF-8 byte order).</summary>
    Map = 4,

    /// <summary>A set of distinct values, kept in the total order.</summary>
    Set = 5,

    /// <summary>A Unicode string.</summary>
    Str = 6,

    /// <summary>An unsigned 64-bit integer.</summary>
    UInt = 7,
}

// Shared test data: one hand-written value of every kind and nesting, and a seeded random
// generator of arbitrary (bounded) values for property-style tests.
using KvDb.Core.Values;

namespace KvDb.Tests.Values;

internal static class ValueSamples
{
    private static readonly TypedValueKind[] ScalarKinds =
        [TypedValueKind.Bool, TypedValueKind.Float, TypedValueKind.Int, TypedValueKind.Str, TypedValueKind.UInt];

    /// <summary>Named samples covering every kind, boundaries, empty collections and nesting.</summary>
    public static IEnumerable<(string Name, TypedValue Value)> Named()
    {
        yield return ("false", TypedValue.Bool(false));
        yield return ("true", TypedValue.Bool(true));
        yield return ("float", TypedValue.Float(3.25));
        yield return ("float-integral", TypedValue.Float(1.0));
        yield return ("float-negative-tiny", TypedValue.Float(-5e-324));
        yield return ("float-max", TypedValue.Float(double.MaxValue));
        yield return ("int-min", TypedValue.Int(long.MinValue));
        yield return ("int-max", TypedValue.Int(long.MaxValue));
        yield return ("int-zero", TypedValue.Int(0));
        yield return ("uint-max", TypedValue.UInt(ulong.MaxValue));
        yield return ("uint-zero", TypedValue.UInt(0));
        yield return ("str-empty", TypedValue.Str(""));
        yield return ("str-unicode", TypedValue.Str("héllo \uFF61 😀 \"q\" \\ \n\t\u0001 </script>"));
        yield return ("list-empty", TypedValue.List());
        yield return ("list-mixed", TypedValue.List(TypedValue.Int(1), TypedValue.Str("a"), TypedValue.Int(1), TypedValue.Bool(true)));
        yield return ("set-empty", TypedValue.Set());
        yield return ("set-mixed", TypedValue.Set(TypedValue.UInt(1337), TypedValue.Str("x"), TypedValue.Float(-1.5), TypedValue.Bool(false)));
        yield return ("map-empty", TypedValue.Map());
        yield return ("map-mixed", TypedValue.Map(("k1", TypedValue.Str("hello")), ("", TypedValue.Int(-1)), ("😀", TypedValue.Bool(true)), ("\uFF61", TypedValue.UInt(7))));
        yield return ("nested", TypedValue.Map(
            ("list", TypedValue.List(TypedValue.Set(TypedValue.Map(("deep", TypedValue.List(TypedValue.Float(0.1))))), TypedValue.List())),
            ("set", TypedValue.Set(TypedValue.List(TypedValue.Int(2)), TypedValue.List(TypedValue.Int(1)), TypedValue.Map())),
            ("str", TypedValue.Str("s"))));
        yield return ("deepest", Nest(TypedValue.Int(42), TypedValue.MaxDepth - 1));
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in Named())
            data.Add(name);
        return data;
    }

    public static TypedValue Get(string name) => Named().Single(s => s.Name == name).Value;

    /// <summary>Wraps <paramref name="leaf"/> in <paramref name="levels"/> single-element lists.</summary>
    public static TypedValue Nest(TypedValue leaf, int levels)
    {
        var value = leaf;
        for (var i = 0; i < levels; i++)
            value = TypedValue.List(value);
        return value;
    }

    /// <summary>A random value of bounded depth and size; the same seed gives the same value.</summary>
    public static TypedValue Random(Random random, int maxDepth = 4)
    {
        var kind = maxDepth > 1 ? (TypedValueKind)random.Next(8) : ScalarKinds[random.Next(ScalarKinds.Length)];
        return kind switch
        {
            TypedValueKind.Bool => TypedValue.Bool(random.Next(2) == 1),
            TypedValueKind.Float => TypedValue.Float(RandomFinite(random)),
            TypedValueKind.Int => TypedValue.Int(random.Next(3) == 0 ? random.NextInt64(-3, 3) : random.NextInt64(long.MinValue, long.MaxValue)),
            TypedValueKind.UInt => TypedValue.UInt(random.Next(3) == 0 ? (ulong)random.Next(3) : (ulong)random.NextInt64() * 2),
            TypedValueKind.Str => TypedValue.Str(RandomString(random, 6)),
            TypedValueKind.List => TypedValue.List(Many(random, maxDepth)),
            TypedValueKind.Set => TypedValue.Set(Many(random, maxDepth)),
            _ => TypedValue.Map(Many(random, maxDepth).Select(v => new KeyValuePair<string, TypedValue>(RandomString(random, 3), v))
                .DistinctBy(e => e.Key)),
        };
    }

    /// <summary>A random finite double from the whole range (random bit patterns) or a small one.</summary>
    public static double RandomFinite(Random random)
    {
        if (random.Next(4) == 0)
            return random.Next(-4, 5) / 2.0;
        while (true)
        {
            var bits = random.NextInt64(long.MinValue, long.MaxValue);
            var number = BitConverter.Int64BitsToDouble(bits);
            if (double.IsFinite(number))
                return number;
        }
    }

    /// <summary>Random well-formed text mixing ASCII, BMP (including U+E000..U+FFFF) and supplementary characters.</summary>
    public static string RandomString(Random random, int maxLength)
    {
        var length = random.Next(maxLength + 1);
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < length; i++)
        {
            switch (random.Next(5))
            {
                case 0:
                    text.Append((char)random.Next('a', 'd'));
                    break;
                case 1:
                    text.Append((char)random.Next(0x00, 0x80));
                    break;
                case 2:
                    text.Append((char)random.Next(0xE000, 0x10000));
                    break;
                case 3:
                    text.Append((char)random.Next(0x80, 0xD800));
                    break;
                default:
                    text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000)));
                    break;
            }
        }

        return text.ToString();
    }

    private static TypedValue[] Many(Random random, int maxDepth)
    {
        var items = new TypedValue[random.Next(4)];
        for (var i = 0; i < items.Length; i++)
            items[i] = Random(random, maxDepth - 1);
        return items;
    }
}

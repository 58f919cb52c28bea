// How kvdb keys and values become configuration keys and values.
// Invariants:
//  - A key under the prefix maps to the rest of the key with '/' replaced by ':'
//    ("config/app/Db/Host" under "config/app/" is "Db:Host").
//  - A value that is a JSON object or array is flattened as JSON configuration does (nested
//    names joined with ':', array items by index), under the key's name (at the root when the
//    key is the prefix itself); any other value is its UTF-8 text, as stored.
//  - The same input always gives the same output; when two kvdb keys produce the same
//    configuration key, the later key in key order wins.
using System.Text;
using System.Text.Json;

namespace KvDb.Extensions.Configuration;

/// <summary>Maps kvdb entries to configuration data.</summary>
internal static class ConfigurationValues
{
    /// <summary>The configuration data of <paramref name="entries"/> (kvdb keys in order, with their values) under <paramref name="prefix"/>.</summary>
    public static Dictionary<string, string?> Build(string prefix, IEnumerable<KeyValuePair<string, byte[]>> entries)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in entries)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            Add(data, key[prefix.Length..].Replace('/', ':'), value);
        }

        return data;
    }

    private static void Add(Dictionary<string, string?> data, string name, byte[] value)
    {
        if (LooksLikeJsonDocument(value))
        {
            try
            {
                using var document = JsonDocument.Parse(value);
                Flatten(data, name, document.RootElement);
                return;
            }
            catch (JsonException)
            {
                // Not JSON after all: the text itself is the value.
            }
        }

        if (name.Length > 0)
            data[name] = Encoding.UTF8.GetString(value);
    }

    private static bool LooksLikeJsonDocument(byte[] value)
    {
        foreach (var b in value)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                continue;
            return b is (byte)'{' or (byte)'[';
        }

        return false;
    }

    private static void Flatten(Dictionary<string, string?> data, string name, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    Flatten(data, Join(name, property.Name), property.Value);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    Flatten(data, Join(name, index++.ToString(System.Globalization.CultureInfo.InvariantCulture)), item);
                break;
            case JsonValueKind.String:
                data[name] = element.GetString();
                break;
            case JsonValueKind.Null:
                data[name] = null;
                break;
            default:
                // Numbers as written; true and false as JSON configuration gives them (True, False).
                data[name] = element.ValueKind is JsonValueKind.Number ? element.GetRawText() : element.ToString();
                break;
        }
    }

    private static string Join(string parent, string child) => parent.Length == 0 ? child : parent + ":" + child;
}

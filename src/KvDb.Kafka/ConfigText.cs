// bridge.toml as read by kvdb kafka-bridge: the subset of TOML that klstore's example
// configuration uses, read strictly.
//   [section]                         a table; each at most once
//   name = "text" | 'text' | ["a", "b"] | bare   one per line; `#` starts a comment
// Deviations from TOML, both on purpose: a bare dotted name (group.id) is one name, not nested
// tables, so librdkafka's properties are written as klstore writes them; and a bare value
// (earliest, 100, true) is taken as its text, as klstore's `auto.offset.reset=earliest` is.
// Invariants: every line is a comment, blank, a section or a setting, else the read fails with
// its line number; a name repeated within a section fails; nothing is silently ignored here
// (what a section may hold is BridgeSettings' business).
using System.Globalization;
using System.Text;

namespace KvDb.Kafka;

/// <summary>One setting of bridge.toml.</summary>
/// <param name="Section">The section it is in.</param>
/// <param name="Name">Its name, as written (dots included).</param>
/// <param name="Text">Its value as text; for an array, its items joined with commas.</param>
/// <param name="Items">Its items when the value is an array, else one item, the text.</param>
/// <param name="Line">The line it is on, from 1.</param>
internal sealed record ConfigEntry(string Section, string Name, string Text, IReadOnlyList<string> Items, int Line)
{
    /// <summary>The setting as an operator would name it, e.g. <c>[batcher] writer_thread_count</c>.</summary>
    public string Qualified => $"[{Section}] {Name}";
}

/// <summary>Reads bridge.toml into its sections.</summary>
internal static class ConfigText
{
    /// <summary>The entries of each section, in file order; throws <see cref="ConfigException"/> naming the line that is wrong.</summary>
    public static Dictionary<string, List<ConfigEntry>> Parse(string text)
    {
        var sections = new Dictionary<string, List<ConfigEntry>>(StringComparer.Ordinal);
        List<ConfigEntry>? current = null;
        var section = "";
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '[')
            {
                var end = line.IndexOf(']', StringComparison.Ordinal);
                if (end < 0 || StripComment(line[(end + 1)..]).Length != 0)
                    throw new ConfigException($"line {number}", "a section is written [name]");
                section = line[1..end].Trim();
                if (section.Length == 0 || !section.All(IsBareChar))
                    throw new ConfigException($"line {number}", $"'{section}' is not a section name");
                if (sections.ContainsKey(section))
                    throw new ConfigException($"[{section}]", $"the section appears twice (line {number})");
                current = [];
                sections.Add(section, current);
                continue;
            }

            var (name, rest) = ReadName(line, number);
            if (current is null)
                throw new ConfigException($"line {number}", $"'{name}' is outside any section");
            rest = rest.TrimStart();
            if (rest.Length == 0 || rest[0] != '=')
                throw new ConfigException($"[{section}] {name}", $"expected '=' after the name (line {number})");
            var (items, isArray) = ReadValue(rest[1..].Trim(), $"[{section}] {name}", number);
            if (current.Exists(e => e.Name == name))
                throw new ConfigException($"[{section}] {name}", $"set twice (line {number})");
            current.Add(new ConfigEntry(section, name, isArray ? string.Join(',', items) : items[0], items, number));
        }

        return sections;
    }

    private static bool IsBareChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    private static (string Name, string Remainder) ReadName(string line, int number)
    {
        if (line[0] is '"' or '\'')
        {
            var (name, length) = ReadQuoted(line, 0, $"line {number}");
            return (name, line[length..]);
        }

        var end = 0;
        while (end < line.Length && IsBareChar(line[end]))
            end++;
        if (end == 0)
            throw new ConfigException($"line {number}", "expected a name, a [section] or a # comment");
        return (line[..end], line[end..]);
    }

    private static (List<string> Items, bool IsArray) ReadValue(string value, string setting, int number)
    {
        if (value.Length == 0)
            throw new ConfigException(setting, $"has no value (line {number})");
        if (value[0] != '[')
        {
            var (item, rest) = ReadScalar(value, setting, number);
            if (StripComment(rest).Length != 0)
                throw new ConfigException(setting, $"unexpected text after the value (line {number})");
            return ([item], false);
        }

        var items = new List<string>();
        var remaining = value[1..].TrimStart();
        while (true)
        {
            if (remaining.Length == 0)
                throw new ConfigException(setting, $"an array must end with ']' on its line (line {number})");
            if (remaining[0] == ']')
                break;
            var (item, rest) = ReadScalar(remaining, setting, number);
            items.Add(item);
            remaining = rest.TrimStart();
            if (remaining.StartsWith(','))
                remaining = remaining[1..].TrimStart();
            else if (!remaining.StartsWith(']'))
                throw new ConfigException(setting, $"expected ',' or ']' in the array (line {number})");
        }

        if (StripComment(remaining[1..]).Length != 0)
            throw new ConfigException(setting, $"unexpected text after the array (line {number})");
        return (items, true);
    }

    private static (string Item, string Remainder) ReadScalar(string text, string setting, int number)
    {
        if (text[0] is '"' or '\'')
        {
            var (item, length) = ReadQuoted(text, 0, setting);
            return (item, text[length..]);
        }

        var end = 0;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('#' or ',' or ']' or '[' or '"' or '\'' or '='))
            end++;
        if (end == 0)
            throw new ConfigException(setting, $"expected a value (line {number})");
        return (text[..end], text[end..]);
    }

    // A "basic" string with TOML's escapes, or a 'literal' one; returns its text and the characters it took.
    private static (string Text, int Length) ReadQuoted(string text, int start, string setting)
    {
        var quote = text[start];
        var result = new StringBuilder();
        for (var i = start + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == quote)
                return (result.ToString(), i + 1);
            if (c != '\\' || quote == '\'')
            {
                result.Append(c);
                continue;
            }

            if (++i >= text.Length)
                break;
            switch (text[i])
            {
                case '"':
                    result.Append('"');
                    break;
                case '\\':
                    result.Append('\\');
                    break;
                case 'n':
                    result.Append('\n');
                    break;
                case 't':
                    result.Append('\t');
                    break;
                case 'r':
                    result.Append('\r');
                    break;
                case 'u' when i + 4 < text.Length && int.TryParse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                    result.Append((char)code);
                    i += 4;
                    break;
                default:
                    throw new ConfigException(setting, $"unknown escape \\{text[i]}");
            }
        }

        throw new ConfigException(setting, "a quoted string is not closed on its line");
    }

    private static string StripComment(string rest)
    {
        var trimmed = rest.Trim();
        return trimmed.StartsWith('#') ? "" : trimmed;
    }
}

/// <summary>A configuration that cannot be used; the message names the setting.</summary>
internal sealed class ConfigException : Exception
{
    /// <summary>A problem with <paramref name="setting"/>.</summary>
    public ConfigException(string setting, string problem)
        : base($"{setting}: {problem}")
    {
        Setting = setting;
    }

    /// <summary>The setting (or line) that is wrong.</summary>
    public string Setting { get; }
}

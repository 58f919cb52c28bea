// A small parser of the Prometheus text exposition format (version 0.0.4), enough for tests
// to read /metrics: samples with names, labels (escapes included) and values; comments,
// blank lines and timestamps are skipped.
using System.Globalization;
using System.Text;

namespace KvDb.Tests.Observability;

/// <summary>One sample line: <c>name{label="value",...} 1.5</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : "";
}

/// <summary>Parses Prometheus text and finds samples in it.</summary>
public sealed class PrometheusText
{
    private PrometheusText(List<PrometheusSample> samples) => Samples = samples;

    public IReadOnlyList<PrometheusSample> Samples { get; }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            try
            {
                samples.Add(ParseSample(line));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw new FormatException($"Line {lineNumber} is not a Prometheus sample: {line}", e);
            }
        }

        return new PrometheusText(samples);
    }

    /// <summary>Every sample named <paramref name="name"/> whose labels include <paramref name="labels"/> ("key=value").</summary>
    public IEnumerable<PrometheusSample> Find(string name, params string[] labels)
        => Samples.Where(s => s.Name == name && labels.All(pair =>
        {
            var split = pair.IndexOf('=');
            return s.Label(pair[..split]) == pair[(split + 1)..];
        }));

    /// <summary>The value of the one sample matching, or null when there is none.</summary>
    public double? Value(string name, params string[] labels)
    {
        var found = Find(name, labels).ToList();
        if (found.Count > 1)
            throw new InvalidOperationException($"{found.Count} samples match {name}{{{string.Join(',', labels)}}}.");
        return found.Count == 1 ? found[0].Value : null;
    }

    private static PrometheusSample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ' or '\t'))
            i++;
        var name = line[..i];
        if (name.Length == 0)
            throw new FormatException("Empty metric name.");

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                SkipSpaces(line, ref i);
                if (line[i] == '}')
                {
                    i++;
                    break;
                }

                var start = i;
                while (line[i] != '=')
                    i++;
                var labelName = line[start..i].Trim();
                i++;
                if (line[i] != '"')
                    throw new FormatException("A label value must be quoted.");
                i++;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', var c => c });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                i++;
                labels[labelName] = value.ToString();
                SkipSpaces(line, ref i);
                if (line[i] == ',')
                    i++;
            }
        }

        var rest = line[i..].Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return new PrometheusSample(name, labels, ParseValue(rest[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static void SkipSpaces(string line, ref int i)
    {
        while (line[i] is ' ' or '\t')
            i++;
    }
}

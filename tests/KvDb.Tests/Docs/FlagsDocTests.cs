// docs/operations/flags.md holds, between two marker lines, exactly what `kvdb --help` prints, so
// the flags page cannot drift from the flags kvdb has (README's hand-kept table did).
// scripts/update-flags-doc rewrites the block; this test fails, naming the script, until it has
// been run after a flag changed. Only line endings and trailing whitespace are ignored.
namespace KvDb.Tests.Docs;

public sealed class FlagsDocTests
{
    private const string DocPath = "docs/operations/flags.md";
    private const string Begin = "<!-- BEGIN kvdb --help -->";
    private const string End = "<!-- END kvdb --help -->";

    [Fact]
    public void The_flags_page_holds_exactly_what_kvdb_help_prints()
    {
        var help = CommandLine.Parse(["--help"], static _ => null)
            .Should().BeOfType<CommandLineOutcome.Print>().Which.Text;
        var path = Path.Combine(RepositoryRoot(), DocPath);
        File.Exists(path).Should().BeTrue($"{DocPath} documents kvdb's flags (run scripts/update-flags-doc to fill it in)");

        var documented = HelpBlock(File.ReadAllText(path));
        var expected = Lines(help);
        if (documented.SequenceEqual(expected))
            return;

        var line = Enumerable.Range(0, Math.Max(documented.Count, expected.Count))
            .First(i => i >= documented.Count || i >= expected.Count || documented[i] != expected[i]);
        Assert.Fail(
            $"{DocPath} no longer matches `kvdb --help`: run scripts/update-flags-doc and commit the result.{Environment.NewLine}" +
            $"First difference at line {line + 1} of the help text:{Environment.NewLine}" +
            $"  {DocPath}: {At(documented, line)}{Environment.NewLine}" +
            $"  kvdb --help: {At(expected, line)}");
    }

    // The lines between the markers, without the code fence around them.
    private static List<string> HelpBlock(string doc)
    {
        var lines = Lines(doc, trimBlankEnds: false);
        var begin = lines.IndexOf(Begin);
        var end = lines.IndexOf(End);
        if (begin < 0 || end < begin)
        {
            Assert.Fail($"{DocPath} must hold the marker lines '{Begin}' and '{End}' around the help text: run scripts/update-flags-doc.");
        }

        var block = lines.GetRange(begin + 1, end - begin - 1);
        if (block.Count > 0 && block[0].StartsWith("```", StringComparison.Ordinal))
            block.RemoveAt(0);
        if (block.Count > 0 && block[^1].StartsWith("```", StringComparison.Ordinal))
            block.RemoveAt(block.Count - 1);
        return TrimBlankEnds(block);
    }

    private static List<string> Lines(string text, bool trimBlankEnds = true)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n').Select(line => line.TrimEnd()).ToList();
        return trimBlankEnds ? TrimBlankEnds(lines) : lines;
    }

    private static List<string> TrimBlankEnds(List<string> lines)
    {
        var first = lines.FindIndex(line => line.Length > 0);
        if (first < 0)
            return [];
        var last = lines.FindLastIndex(line => line.Length > 0);
        return lines.GetRange(first, last - first + 1);
    }

    private static string At(List<string> lines, int index) => index < lines.Count ? $"\"{lines[index]}\"" : "(no more lines)";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvDb.sln")))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException("KvDb.sln not found above " + AppContext.BaseDirectory);
    }
}

// Every relative link in README.md and docs/**/*.md leads somewhere: the file or folder exists,
// and an anchor into a markdown file names one of its headings (GitHub's slugs). Links with a
// scheme (https:, mailto:) are not followed, and nothing inside code is a link. The failure
// lists every broken link as file:line, so a moved page or renamed heading is fixed in one go.
using System.Text;
using System.Text.RegularExpressions;

namespace KvDb.Tests.Docs;

public sealed partial class DocLinkTests
{
    [Fact]
    public void Every_relative_link_in_the_docs_resolves()
    {
        var root = RepositoryRoot();
        var docs = Path.Combine(root, "docs");
        Directory.Exists(docs).Should().BeTrue("the manual lives in docs/");
        var pages = new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            .ToList();

        var anchors = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var broken = new List<string>();
        var checkedLinks = 0;
        foreach (var page in pages)
        {
            foreach (var (line, text, target) in Links(File.ReadAllText(page)))
            {
                checkedLinks++;
                if (Problem(root, page, target, anchors) is { } problem)
                    broken.Add($"{Relative(root, page)}:{line}: [{text}]({target}) {problem}");
            }
        }

        checkedLinks.Should().BeGreaterThan(0, "README.md and docs/ link to each other");
        if (broken.Count > 0)
            Assert.Fail($"{broken.Count} broken link(s) in README.md and docs/:{Environment.NewLine}{string.Join(Environment.NewLine, broken)}");
    }

    [Theory]
    [InlineData("Keys, values and paths", "keys-values-and-paths")]
    [InlineData("CLI: kvdb get, put, watch, txn, lease, lock, elect, list", "cli-kvdb-get-put-watch-txn-lease-lock-elect-list")]
    [InlineData("The /v1 API: revisions, conditional writes", "the-v1-api-revisions-conditional-writes")]
    [InlineData("What `/readyz` checks", "what-readyz-checks")]
    [InlineData("snake_case and [a link](x.md)", "snake_case-and-a-link")]
    public void Headings_become_GitHub_anchors(string heading, string anchor)
        => Slug(heading).Should().Be(anchor);

    [Fact]
    public void Links_in_code_are_not_links()
    {
        var links = Links("[a](a.md) `[b](b.md)`\n```\n[c](c.md)\n```\n[d](d.md#x \"title\") ![e](e.png)\n[f]: f.md\n").Select(link => link.Target);
        links.Should().Equal("a.md", "d.md#x", "e.png", "f.md");
    }

    // Why target, linked from page, is broken; null when it resolves.
    private static string? Problem(string root, string page, string target, Dictionary<string, HashSet<string>> anchors)
    {
        if (Scheme().IsMatch(target))
            return null;
        var hash = target.IndexOf('#');
        var pathPart = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
        var anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);

        var resolved = pathPart.Length == 0
            ? page
            : Path.GetFullPath(pathPart.StartsWith('/') ? Path.Combine(root, pathPart.TrimStart('/')) : Path.Combine(Path.GetDirectoryName(page)!, pathPart));
        if (!File.Exists(resolved) && !Directory.Exists(resolved))
            return $"-> {Relative(root, resolved)} does not exist";
        if (anchor is null || !File.Exists(resolved) || !resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            return null;

        if (!anchors.TryGetValue(resolved, out var known))
            anchors[resolved] = known = Anchors(File.ReadAllText(resolved));
        return known.Contains(anchor) ? null : $"-> no heading '#{anchor}' in {Relative(root, resolved)}";
    }

    // The links of a markdown text outside code: inline [text](target), images and reference definitions.
    private static IEnumerable<(int Line, string Text, string Target)> Links(string markdown)
    {
        var number = 0;
        string? fence = null;
        foreach (var raw in Lines(markdown))
        {
            number++;
            if (Fence(raw, ref fence))
                continue;
            var line = CodeSpan().Replace(raw, match => new string(' ', match.Length));
            if (ReferenceDefinition().Match(line) is { Success: true } definition)
            {
                yield return (number, definition.Groups["text"].Value, definition.Groups["target"].Value);
                continue;
            }

            foreach (Match link in InlineLink().Matches(line))
                yield return (number, link.Groups["text"].Value, link.Groups["target"].Value);
        }
    }

    // The anchors GitHub gives a page: one per heading (repeats get -1, -2, ...), and explicit <a id/name>.
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string? fence = null;
        foreach (var line in Lines(markdown))
        {
            if (Fence(line, ref fence))
                continue;
            foreach (Match html in HtmlAnchor().Matches(line))
                anchors.Add(html.Groups["id"].Value);
            if (Heading().Match(line) is not { Success: true } heading)
                continue;
            var slug = Slug(heading.Groups["text"].Value);
            var repeat = seen.GetValueOrDefault(slug);
            seen[slug] = repeat + 1;
            anchors.Add(repeat == 0 ? slug : $"{slug}-{repeat}");
        }

        return anchors;
    }

    // GitHub's heading slug: the rendered text, lowercased, without punctuation other than '-' and
    // '_', spaces turned into '-'.
    private static string Slug(string heading)
    {
        var text = InlineLink().Replace(heading, match => match.Groups["text"].Value).Replace("`", "");
        var slug = new StringBuilder();
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (c == ' ')
                slug.Append('-');
            else if (c == '-' || char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.ConnectorPunctuation
                         or System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark)
                slug.Append(c);
        }

        return slug.ToString();
    }

    // Tracks fenced code blocks; true for lines inside one or fencing it.
    private static bool Fence(string line, ref string? fence)
    {
        var trimmed = line.TrimStart();
        var indent = line.Length - trimmed.Length;
        if (fence is not null)
        {
            if (indent <= 3 && trimmed.StartsWith(fence, StringComparison.Ordinal) && trimmed.TrimEnd().Trim(fence[0]).Length == 0)
                fence = null;
            return true;
        }

        if (indent <= 3 && FenceOpening().Match(trimmed) is { Success: true } opening)
        {
            fence = opening.Value;
            return true;
        }

        return false;
    }

    private static string[] Lines(string text) => text.Replace("\r\n", "\n").Split('\n');

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvDb.sln")))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException("KvDb.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"!?\[(?<text>(?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?(?<target>[^)\s>]+)>?(?:\s+(?:""[^""]*""|'[^']*'|\([^)]*\)))?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^ {0,3}\[(?<text>[^\]]+)\]:\s*<?(?<target>[^\s>]+)>?")]
    private static partial Regex ReferenceDefinition();

    [GeneratedRegex(@"(`+).*?\1")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^ {0,3}#{1,6}\s+(?<text>.*?)(?:\s+#+)?\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"<a\s+(?:[^>]*\s)?(?:id|name)=""(?<id>[^""]+)""")]
    private static partial Regex HtmlAnchor();

    [GeneratedRegex(@"^(`{3,}|~{3,})")]
    private static partial Regex FenceOpening();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();
}

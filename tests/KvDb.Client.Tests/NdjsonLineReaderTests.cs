using System.Text;

namespace KvDb.Client.Tests;

public sealed class NdjsonLineReaderTests
{
    [Fact]
    public async Task Only_whole_lines_are_returned_however_long_and_a_cut_line_is_dropped()
    {
        var longLine = new string('x', 100_000);
        var stream = new MemoryStream(Encoding.UTF8.GetBytes($"one\n{longLine}\n\nthree\ncut-off"));
        using var reader = new NdjsonLineReader(stream);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            lines.Add(Encoding.UTF8.GetString(line.Span));
        lines.Should().Equal("one", longLine, "", "three");
    }
}

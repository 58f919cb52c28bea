// A TextWriter for in-process CLI runs: keeps everything written, and hands each complete line
// to a reader as it is written, so a test can wait for a streaming command's N-th line.
using System.Text;
using System.Threading.Channels;

namespace KvDb.Client.Tests.Cli;

public sealed class LineWriter : TextWriter
{
    private readonly StringBuilder all = new();
    private readonly StringBuilder line = new();
    private readonly Channel<string> lines = Channel.CreateUnbounded<string>();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (all)
                return all.ToString();
        }
    }

    public override void Write(char value)
    {
        lock (all)
        {
            all.Append(value);
            if (value == '\n')
            {
                lines.Writer.TryWrite(line.ToString().TrimEnd('\r'));
                line.Clear();
            }
            else
            {
                line.Append(value);
            }
        }
    }

    /// <summary>The next complete line; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<string> NextLineAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await lines.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No line within {timeout.TotalSeconds:0.#} s; written so far: {Text}");
        }
    }
}

// Splits a stream of newline-delimited JSON into lines, without decoding to strings.
// Invariants: only lines ended by '\n' are returned, so a stream cut off mid-line never yields
// half an event; a line longer than MaxLineBytes is an error, not an unbounded buffer.
using System.Buffers;

namespace KvDb.Client;

/// <summary>Reads '\n'-terminated lines of bytes from a stream.</summary>
internal sealed class NdjsonLineReader(Stream stream) : IDisposable
{
    /// <summary>The longest line accepted (two 1 MiB values, escaped, fit with room to spare).</summary>
    public const int MaxLineBytes = 64 << 20;

    private byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int start;
    private int end;

    /// <summary>The next whole line (without its '\n'; valid until the next call), or null when the stream ended.</summary>
    /// <exception cref="InvalidDataException">A line is longer than <see cref="MaxLineBytes"/>.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken token)
    {
        var scanned = start;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', scanned, end - scanned);
            if (newline >= 0)
            {
                var line = buffer.AsMemory(start, newline - start);
                start = newline + 1;
                return line;
            }

            scanned = end;
            if (end == buffer.Length)
            {
                var kept = end - start;
                if (start == 0)
                {
                    if (buffer.Length >= MaxLineBytes)
                        throw new InvalidDataException($"A watch line is longer than {MaxLineBytes} bytes.");
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, kept).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                else
                {
                    buffer.AsSpan(start, kept).CopyTo(buffer);
                }

                start = 0;
                end = kept;
                scanned = kept;
            }

            var read = await stream.ReadAsync(buffer.AsMemory(end), token).ConfigureAwait(false);
            if (read == 0)
                return null;
            end += read;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}

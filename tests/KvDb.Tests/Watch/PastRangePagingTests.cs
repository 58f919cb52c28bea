// Paging through a large prefix at a past revision while writes go on: every key of the prefix
// as it was at R comes back exactly once, in order, with its value and revision then, and,
// counting the store entries each page scans (not time), the first page scans the history after
// R once while each later page scans only the records written since the previous one and the
// keys from its continuation, where a page built from scratch scans the whole history again.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Watch;
using Xunit.Abstractions;

namespace KvDb.Tests.Watch;

public sealed class PastRangePagingTests : IDisposable
{
    private const int Limit = 37;
    private static readonly byte[] Prefix = Encoding.UTF8.GetBytes("big/");
    private static readonly byte[] PrefixEnd = KvDb.Core.Auth.KeyOrder.PrefixEnd(Prefix)!;

    private readonly ITestOutputHelper output;
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;
    private readonly Dictionary<string, (string Value, long Revision)> state = new(StringComparer.Ordinal);
    private readonly Random random = new(32);
    private long index;

    public PastRangePagingTests(ITestOutputHelper output)
    {
        this.output = output;
        executor = new CommandExecutor(store);
    }

    public void Dispose() => store.Dispose();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    // One entry of `count` random writes: mostly rewrites and deletes of big/ keys, some new ones, some elsewhere.
    private void Entry(int count)
    {
        index++;
        var commands = new List<KvCommand>();
        for (var i = 0; i < count; i++)
        {
            var key = random.Next(10) switch
            {
                0 => $"other/{random.Next(50)}",
                1 => $"big/new-{index}-{i}",
                _ => $"big/{random.Next(1200):D5}",
            };
            if (random.Next(4) == 0)
            {
                commands.Add(new DeleteCommand { Key = Bytes(key) });
                state.Remove(key);
            }
            else
            {
                var value = $"{key}@{index}.{i}";
                commands.Add(new PutCommand { Key = Bytes(key), Value = Bytes(value) });
                state[key] = (value, index);
            }
        }

        executor.Execute(index, 1, index * 1000, [.. commands], new CommandResult[commands.Count]);
    }

    private void Load(int keys)
    {
        for (var start = 0; start < keys; start += 50)
        {
            index++;
            var commands = new List<KvCommand>();
            for (var i = start; i < start + 50 && i < keys; i++)
            {
                var key = $"big/{i:D5}";
                commands.Add(new PutCommand { Key = Bytes(key), Value = Bytes(key + "@load") });
                state[key] = (key + "@load", index);
            }

            executor.Execute(index, 1, index * 1000, [.. commands], new CommandResult[commands.Count]);
        }
    }

    private static List<(string Key, string Value, long Revision)> Expected(Dictionary<string, (string Value, long Revision)> at)
        => [.. at.Where(static p => p.Key.StartsWith("big/", StringComparison.Ordinal)).OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => (p.Key, p.Value.Value, p.Value.Revision))];

    // Pages through big/ at `revision`, writing `between` entries between pages; each page's scans.
    private (List<(string Key, string Value, long Revision)> Items, List<(long History, long User)> Work) PageThrough(long revision, Func<CountingView, long, byte[], IEnumerable<(byte[] Key, PastValue Value)>> page, int between)
    {
        var items = new List<(string, string, long)>();
        var work = new List<(long, long)>();
        var from = Prefix;
        while (true)
        {
            using var view = new CountingView(store.OpenView());
            var taken = page(view, revision, from).Take(Limit + 1).ToList();
            work.Add((view.History, view.User));
            items.AddRange(taken.Take(Limit).Select(static i => (Encoding.UTF8.GetString(i.Key), Encoding.UTF8.GetString(i.Value.Payload.Span), i.Value.Revision)));
            if (taken.Count <= Limit)
                return (items, work);
            from = [.. taken[Limit - 1].Key, 0];
            for (var i = 0; i < between; i++)
                Entry(3);
        }
    }

    [Fact]
    public void Every_key_at_the_revision_comes_back_once_and_a_later_page_scans_only_what_it_returns()
    {
        Load(1000);
        for (var i = 0; i < 100; i++)
            Entry(5);
        var revision = index;
        var expected = Expected(state);
        for (var i = 0; i < 400; i++)
            Entry(5);

        var cache = new PastRangeCache();
        var (items, work) = PageThrough(revision, (view, at, from) => PastState.Page(view, cache.Get(view, at, Prefix, PrefixEnd, Prefix, out _), from), between: 2);

        items.Should().Equal(expected, "every key of big/ as it was at the revision, once, in order, whatever was written while paging");
        work.Count.Should().BeGreaterThan(20);
        var first = work[0];
        first.History.Should().BeGreaterThanOrEqualTo(400, "the first page scans the history after the revision once");
        foreach (var (history, _) in work.Skip(1))
            history.Should().BeLessThanOrEqualTo(2, "a later page scans only the records written since the previous page");

        // Each page scans the keys from its continuation (those it returns, those created since R
        // that it skips, and one to know there is more), never those of the pages before it.
        work.Sum(static w => w.User).Should().BeLessThan(3 * expected.Count, "pages from the start would scan ~pages x half the prefix");

        // The same pages built from scratch, as before: every page scans the whole history after R again.
        var (fresh, freshWork) = PageThrough(revision, static (view, at, from) => PastState.Page(view, PastRangeUndo.Build(view, at, Prefix, PrefixEnd, Prefix, out _), from), between: 0);
        fresh.Should().Equal(expected);
        freshWork.Should().OnlyContain(static w => w.History >= 400);
        output.WriteLine($"{work.Count} pages of {Limit}: history entries scanned with the cache {work.Sum(static w => w.History)} (first page {first.History}, later pages at most {work.Skip(1).Max(static w => w.History)}), from scratch {freshWork.Sum(static w => w.History)}; user entries scanned {work.Sum(static w => w.User)} for {expected.Count} keys");
    }

    [Fact]
    public void A_view_older_than_the_kept_undo_builds_its_own()
    {
        Load(100);
        var revision = index;
        var expected = Expected(state);
        using var old = store.OpenView();
        var cache = new PastRangeCache();
        for (var i = 0; i < 20; i++)
            Entry(5);

        using (var now = store.OpenView())
            PastState.Page(now, cache.Get(now, revision, Prefix, PrefixEnd, Prefix, out _), Prefix).Count().Should().Be(expected.Count);

        if (old.Index < index)
        {
            var undo = cache.Get(old, revision, Prefix, PrefixEnd, Prefix, out _);
            undo.Through.Should().Be(old.Index);
            PastState.Page(old, undo, Prefix).Select(static i => Encoding.UTF8.GetString(i.Key)).Should().Equal(expected.Select(static e => e.Key));
        }
    }

    // Counts the entries scanned in the history and user namespaces.
    public sealed class CountingView(IKeyValueView inner) : IKeyValueView
    {
        public long History { get; private set; }

        public long User { get; private set; }

        public long Index => inner.Index;

        public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value) => inner.TryGet(key, out value);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[]? startInclusive = null, byte[]? endExclusive = null)
        {
            foreach (var entry in inner.Scan(startInclusive, endExclusive))
            {
                if (entry.Key[0] == StoreKeys.History)
                    History++;
                else if (entry.Key[0] == StoreKeys.User)
                    User++;
                yield return entry;
            }
        }

        public void Dispose() => inner.Dispose();
    }
}

// Reads of the past against a model: after a random run of puts, deletes and re-creates (several
// changes of one key in one entry too), every key and every range read at every revision is what
// the state was right after it, and a key's history pages back through exactly its changes.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Watch;

namespace KvDb.Tests.Watch;

public sealed class PastStateTests
{
    private static readonly string[] Keys = ["a", "a/1", "a/2", "b", "ba", "c"];

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    // Runs `entries` random entries; returns the state after each revision (key -> (value, revision that wrote it)) and each key's changes.
    private static (InMemoryKeyValueStore Store, List<Dictionary<string, (string Value, long Revision)>> States, Dictionary<string, List<(long Revision, string? Value)>> Changes) Run(int seed, int entries)
    {
        var random = new Random(seed);
        var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store);
        var state = new Dictionary<string, (string Value, long Revision)>();
        var states = new List<Dictionary<string, (string Value, long Revision)>> { new(state) };
        var changes = Keys.ToDictionary(static k => k, static _ => new List<(long, string?)>());
        for (long index = 1; index <= entries; index++)
        {
            var commands = new List<KvCommand>();
            var count = random.Next(1, 4);
            for (var i = 0; i < count; i++)
            {
                var key = Keys[random.Next(Keys.Length)];
                if (random.Next(3) == 0)
                {
                    commands.Add(new DeleteCommand { Key = Bytes(key) });
                    if (state.Remove(key))
                        changes[key].Add((index, null));
                }
                else
                {
                    var value = $"{key}@{index}.{i}";
                    commands.Add(new PutCommand { Key = Bytes(key), Value = Bytes(value) });
                    state[key] = (value, index);
                    changes[key].Add((index, value));
                }
            }

            executor.Execute(index, 1, index * 1000, [.. commands], new CommandResult[commands.Count]);
            states.Add(new(state));
        }

        return (store, states, changes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_key_and_range_read_at_every_revision_is_the_state_right_after_it(int seed)
    {
        var (store, states, _) = Run(seed, 120);
        using var view = store.OpenView();
        for (var revision = 0; revision < states.Count; revision++)
        {
            var expected = states[revision];
            foreach (var key in Keys)
            {
                var read = PastState.Get(view, Bytes(key), revision, out _);
                if (expected.TryGetValue(key, out var then))
                {
                    read.Should().NotBeNull($"'{key}' existed right after {revision}");
                    Text(read!.Value.Payload).Should().Be(then.Value, $"'{key}' at {revision}");
                    read.Value.Revision.Should().Be(then.Revision, $"'{key}' at {revision} was written at {then.Revision}");
                }
                else
                {
                    read.Should().BeNull($"'{key}' did not exist right after {revision}");
                }
            }

            var all = PastState.Range(view, revision, [], null, null).Select(static item => (Encoding.UTF8.GetString(item.Key), Text(item.Value.Payload), item.Value.Revision)).ToList();
            all.Should().Equal(expected.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => (p.Key, p.Value.Value, p.Value.Revision)), $"every key at {revision}");

            var prefixed = PastState.Range(view, revision, Bytes("a/"), Bytes("a0"), Bytes("a/")).Select(static item => Encoding.UTF8.GetString(item.Key)).ToList();
            prefixed.Should().Equal(expected.Keys.Where(static k => k.StartsWith("a/", StringComparison.Ordinal)).Order(StringComparer.Ordinal), $"the prefix a/ at {revision}");
        }
    }

    [Fact]
    public void A_keys_history_pages_back_through_exactly_its_changes_newest_first()
    {
        var (store, states, changes) = Run(7, 150);
        using var view = store.OpenView();
        foreach (var key in Keys)
        {
            var listed = new List<(long Revision, string? Value)>();
            long before = states.Count;
            while (true)
            {
                var page = PastState.History(view, Bytes(key), before, limit: 3, out var more, out _);
                page.Should().NotBeEmpty();
                page.Select(static c => c.Revision).Should().BeInDescendingOrder().And.OnlyContain(r => r < before);
                listed.AddRange(page.Select(static c => (c.Revision, c.Change.Deleted ? null : Encoding.UTF8.GetString(c.Change.Value!))));
                if (!more)
                    break;
                before = page[^1].Revision;
            }

            var expected = Enumerable.Reverse(changes[key]).ToList();
            listed.Should().Equal(expected.Select(static c => (c.Revision, c.Value)), $"the changes of '{key}'");
        }
    }

    [Fact]
    public void History_carries_the_entrys_timestamp_and_the_lease_a_put_attached()
    {
        var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store);
        executor.Execute(1, 1, 5000, [new PutCommand { Key = Bytes("k"), Value = Bytes("1"), Lease = 9, GrantTtlMs = 10_000 }], new CommandResult[1]);
        executor.Execute(2, 1, 6000, [new DeleteCommand { Key = Bytes("k") }], new CommandResult[1]);
        using var view = store.OpenView();
        var page = PastState.History(view, Bytes("k"), 3, 10, out var more, out _);
        more.Should().BeFalse();
        page.Select(static c => (c.Revision, c.ProposedAtUnixMs, c.Change.Deleted, c.Change.Lease)).Should().Equal((2L, 6000L, true, (long?)null), (1L, 5000L, false, (long?)9));
    }
}

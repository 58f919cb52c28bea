using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.Core;

public sealed class InMemoryKeyValueStoreTests
{
    private static PutCommand Put(string key, string value) => new() { Key = Bytes(key), Value = Bytes(value) };

    private static DeleteCommand Delete(string key) => new() { Key = Bytes(key) };

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static CommandOutcome[] Apply(IKeyValueStore store, long index, params KvCommand[] commands)
    {
        var outcomes = new CommandOutcome[commands.Length];
        store.Apply(index, commands, outcomes);
        return outcomes;
    }

    [Fact]
    public void Commands_of_a_batch_apply_in_order_with_their_outcomes()
    {
        using var store = new InMemoryKeyValueStore();
        var outcomes = Apply(store, 1, Put("a", "1"), Put("a", "2"), Delete("b"), Delete("a"), Put("c", "3"));

        outcomes.Should().Equal(CommandOutcome.Applied, CommandOutcome.Applied, CommandOutcome.NotFound, CommandOutcome.Applied, CommandOutcome.Applied);
        store.TryGet(Bytes("a"), out _).Should().BeFalse();
        store.TryGet(Bytes("c"), out var c).Should().BeTrue();
        c.Should().Equal(Bytes("3"));
        store.AppliedIndex.Should().Be(1);
    }

    [Fact]
    public void An_index_already_applied_is_ignored()
    {
        using var store = new InMemoryKeyValueStore();
        Apply(store, 5, Put("k", "new"));
        Apply(store, 5, Put("k", "replayed"));
        Apply(store, 3, Put("k", "older"));

        store.TryGet(Bytes("k"), out var value).Should().BeTrue();
        value.Should().Equal(Bytes("new"));
    }

    [Fact]
    public void A_view_is_a_point_in_time_image_and_scans_in_byte_order()
    {
        using var store = new InMemoryKeyValueStore();
        Apply(store, 1, Put("b", "1"), Put("a", "1"), Put("\u00e9", "1"), Put("Z", "1"));
        using var view = store.OpenView();
        Apply(store, 2, Put("a", "2"), Delete("b"), Put("c", "2"));

        view.Index.Should().Be(1);
        view.TryGet(Bytes("a"), out var a).Should().BeTrue();
        a.Should().Equal(Bytes("1"));
        view.Scan().Select(p => System.Text.Encoding.UTF8.GetString(p.Key)).Should().Equal("Z", "a", "b", "\u00e9");
        view.Scan(Bytes("a"), Bytes("b")).Should().ContainSingle();
        store.Count.Should().Be(4);
    }
}

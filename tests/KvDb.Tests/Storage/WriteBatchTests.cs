using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class WriteBatchTests
{
    [Fact]
    public void Keeps_operations_in_order_and_can_be_reused()
    {
        var batch = new WriteBatch();
        batch.Put("a"u8, "1"u8);
        batch.Delete("b"u8);
        batch.Put("a"u8, ReadOnlySpan<byte>.Empty);

        batch.Count.Should().Be(3);
        Read(batch).Should().Equal("Put a=1", "Delete b=", "Put a=");

        batch.Clear();
        batch.Count.Should().Be(0);
        batch.Put("c"u8, "3"u8);
        Read(batch).Should().Equal("Put c=3");
    }

    [Fact]
    public void Rejects_keys_beyond_the_limit()
    {
        var batch = new WriteBatch();
        var put = () => batch.Put(new byte[WriteBatch.MaxKeyLength + 1], "v"u8);
        put.Should().Throw<ArgumentOutOfRangeException>();
        batch.Count.Should().Be(0);
    }

    private static List<string> Read(WriteBatch batch)
    {
        var seen = new List<string>();
        for (var reader = batch.GetReader(); reader.MoveNext();)
            seen.Add($"{reader.Kind} {TestData.Text(reader.Key)}={TestData.Text(reader.Value)}");
        return seen;
    }
}

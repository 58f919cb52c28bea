namespace KvDb.Client.Tests;

public sealed class WatchCursorTests
{
    [Fact]
    public void A_revision_is_complete_once_a_later_one_or_a_progress_mark_arrives()
    {
        var cursor = new WatchCursor(10);
        cursor.Accept(12, "a").Should().BeTrue();
        cursor.Completed.Should().Be(11, "revision 12 may still have changes on their way");
        cursor.Accept(12, "b").Should().BeTrue();
        cursor.Accept(12, "a").Should().BeFalse("a key changes at most once per revision: this is a resent one");
        cursor.Accept(14, "a").Should().BeTrue();
        cursor.Completed.Should().Be(13);
        cursor.Accept(12, "c").Should().BeFalse("revision 12 is complete");
        cursor.Progress(20).Should().BeTrue();
        cursor.Completed.Should().Be(20);
        cursor.Accept(14, "z").Should().BeFalse();
        cursor.Progress(19).Should().BeFalse("progress never goes back");
    }
}

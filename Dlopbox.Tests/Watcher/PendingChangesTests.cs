using Dlopbox.Watcher.Changes;

namespace Dlopbox.Tests.Watcher;

public class PendingChangesTests
{
    private static ChangeOp.Dirty Dirty(string path, bool force = false) => new(path, force);

    private static PendingChanges With(params ChangeOp[] ops)
    {
        var pending = new PendingChanges();
        pending.EnqueueRange(ops);
        return pending;
    }

    [Fact]
    public void A_dirty_already_pending_is_not_added_twice_and_force_wins()
    {
        var pending = With(Dirty("a"), Dirty("b"), Dirty("a"), Dirty("a", force: true), Dirty("a"));

        Assert.Equal([Dirty("a", force: true), Dirty("b")], pending.ToList());
    }

    [Fact]
    public void A_taken_dirty_can_be_queued_again()
    {
        var pending = With(Dirty("a"));
        Assert.True(pending.TryTake(out var op));
        Assert.Equal(Dirty("a"), op);

        pending.Enqueue(Dirty("a"));

        Assert.Equal([Dirty("a")], pending.ToList());
    }

    [Fact]
    public void Delete_drops_pending_dirty_at_and_under_the_path_only()
    {
        var pending = With(Dirty("d"), Dirty("d/f"), Dirty("d/sub/g"), Dirty("dx"), Dirty("d-y"), new ChangeOp.Delete("d"), Dirty("d"));

        Assert.Equal([Dirty("dx"), Dirty("d-y"), new ChangeOp.Delete("d"), Dirty("d")], pending.ToList());
    }

    [Fact]
    public void Deletes_of_a_dir_contents_collapse_into_the_dir_delete_only_when_adjacent()
    {
        var pending = With(
            new ChangeOp.Delete("d/x"),
            new ChangeOp.Move("d", "e"),
            new ChangeOp.Delete("d/a/f"),
            new ChangeOp.Delete("d/a"),
            new ChangeOp.Delete("d/g"),
            new ChangeOp.Delete("d"));

        Assert.Equal([new ChangeOp.Delete("d/x"), new ChangeOp.Move("d", "e"), new ChangeOp.Delete("d")], pending.ToList());
    }

    [Fact]
    public void Move_drops_dirty_at_the_target_and_rebases_the_source_after_the_move()
    {
        var pending = With(
            Dirty("a/f", force: true),
            Dirty("b/old"),
            Dirty("other"),
            Dirty("a"),
            new ChangeOp.Move("a", "b"));

        Assert.Equal(
            [Dirty("other"), new ChangeOp.Move("a", "b"), Dirty("b/f", force: true), Dirty("b")],
            pending.ToList());
    }

    [Fact]
    public void A_file_written_then_renamed_into_place_is_looked_at_after_the_rename()
    {
        var pending = With(Dirty(".f.swp", force: true), Dirty("f", force: true), new ChangeOp.Move(".f.swp", "f"));

        Assert.Equal([new ChangeOp.Move(".f.swp", "f"), Dirty("f", force: true)], pending.ToList());
    }

    [Fact]
    public void Rescan_is_not_queued_twice_while_pending()
    {
        var pending = With(ChangeOp.Rescan.Instance, Dirty("a"), ChangeOp.Rescan.Instance);
        Assert.Equal([ChangeOp.Rescan.Instance, Dirty("a")], pending.ToList());

        Assert.True(pending.TryTake(out _));
        pending.Enqueue(ChangeOp.Rescan.Instance);

        Assert.Equal([Dirty("a"), ChangeOp.Rescan.Instance], pending.ToList());
    }

    [Fact]
    public async Task WaitAsync_completes_when_an_op_arrives()
    {
        var pending = new PendingChanges();
        var wait = pending.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);

        pending.Enqueue(Dirty("x"));

        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, pending.Count);
    }
}

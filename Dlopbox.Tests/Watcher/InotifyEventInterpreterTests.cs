using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.FileSystem.Inotify;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.Sources.Inotify;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dlopbox.Tests.Watcher;

public class InotifyEventInterpreterTests
{
    private const int Root = 1;
    private const int DirD = 2;
    private const int DirDSub = 3;

    private sealed class FakeHost : IWatchHost
    {
        public List<string> Calls { get; } = [];

        public void AddTree(string path, HeldChanges held)
        {
            Calls.Add("add " + path);
            held.Add(new ChangeOp.Dirty(path));
        }

        public void RemoveTree(string path) => Calls.Add("remove " + path);

        public void Resync(HeldChanges held)
        {
            Calls.Add("resync");
            held.Add(ChangeOp.Rescan.Instance);
        }

        public void RootLost(InotifyMask mask) => Calls.Add("root lost");

        /// <summary>What lstat shows per path; missing ones are gone.</summary>
        public Dictionary<string, FileStatus> Disk { get; } = [];

        public bool TryLstat(string path, out FileStatus status) => Disk.TryGetValue(path, out status);
    }

    private static FileStatus Status(EntryKind kind, uint links = 1) => new(kind, 0, default, default, 0x1A4, 7, 1, links);

    private readonly WatchTable _watches = new();
    private readonly FakeHost _host = new();
    private readonly HeldChanges _held = new();
    private readonly ManualTimeProvider _time = new();
    private readonly InotifyEventInterpreter _interpreter;

    public InotifyEventInterpreterTests()
    {
        _watches.Add(Root, "");
        _watches.Add(DirD, "d");
        _watches.Add(DirDSub, "d/sub");
        Writes = new WriteQuietTracker(_time, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        _interpreter = new InotifyEventInterpreter(_watches, _host, Writes, NullLogger.Instance);
    }

    private WriteQuietTracker Writes { get; }

    /// <summary>Moves the clock on and returns what the tracker then releases.</summary>
    private List<ChangeOp> After(TimeSpan elapsed)
    {
        _time.Advance(elapsed);
        Writes.TakeDue(_held);
        return _held.TakeResolved();
    }

    private void Read(params InotifyEvent[] events)
    {
        foreach (var e in events)
            _interpreter.Interpret(e, _held);
        _interpreter.EndRead(_held);
    }

    private static InotifyEvent E(int wd, InotifyMask mask, string? name, uint cookie = 0) => new(wd, mask, cookie, name);

    [Fact]
    public void Content_is_reported_on_close_write_not_on_create()
    {
        Read(E(Root, InotifyMask.Create, "f"), E(DirD, InotifyMask.CloseWrite, "g"));

        Assert.Equal([new ChangeOp.Dirty("d/g", Force: true)], _held.TakeResolved());
    }

    [Fact]
    public void A_new_dir_is_watched_and_scanned()
    {
        Read(E(DirD, InotifyMask.Create | InotifyMask.IsDir, "new"));

        Assert.Equal(["add d/new"], _host.Calls);
        Assert.Equal([new ChangeOp.Dirty("d/new")], _held.TakeResolved());
    }

    [Fact]
    public void Moves_pair_by_cookie_in_one_read()
    {
        Read(
            E(Root, InotifyMask.MovedFrom, "a", cookie: 5),
            E(Root, InotifyMask.MovedFrom | InotifyMask.IsDir, "d", cookie: 6),
            E(Root, InotifyMask.MovedTo | InotifyMask.IsDir, "e", cookie: 6),
            E(DirD, InotifyMask.MovedTo, "b", cookie: 5));

        Assert.False(_interpreter.HasUnpairedMoves);
        // The moved dir is looked at again after its move (a scan at its old path may have found nothing).
        Assert.Equal([new ChangeOp.Move("d", "e"), new ChangeOp.Dirty("e"), new ChangeOp.Move("a", "e/b")], _held.TakeResolved());
        // The watches of the moved dir and below now stand for the new path.
        Assert.True(_watches.TryGetPath(DirDSub, out var path));
        Assert.Equal("e/sub", path);
        // A dir created just before its rename may not have all its watches yet: its subtree is watched and listed again.
        Assert.Equal(["add e"], _host.Calls);
    }

    [Fact]
    public void A_move_pairs_across_two_reads()
    {
        Read(E(Root, InotifyMask.MovedFrom, "a", cookie: 9));
        Assert.True(_interpreter.HasUnpairedMoves);
        Assert.Empty(_held.TakeResolved());

        Read(E(Root, InotifyMask.MovedTo, "b", cookie: 9));

        Assert.Equal([new ChangeOp.Move("a", "b")], _held.TakeResolved());
    }

    [Fact]
    public void An_unpaired_moved_from_is_a_move_out_and_keeps_its_place()
    {
        Read(
            E(Root, InotifyMask.CloseWrite, "before"),
            E(Root, InotifyMask.MovedFrom, "x", cookie: 3),
            E(Root, InotifyMask.CloseWrite, "x"));
        // Held back until resolved, but what came before it may go.
        Assert.Equal([new ChangeOp.Dirty("before", Force: true)], _held.TakeResolved());

        Read(E(Root, InotifyMask.CloseWrite, "after"));

        // The delete sits where the move happened, so the re-created "x" is not dropped by it.
        Assert.Equal(
            [new ChangeOp.Delete("x"), new ChangeOp.Dirty("x", Force: true), new ChangeOp.Dirty("after", Force: true)],
            _held.TakeResolved());
    }

    [Fact]
    public void A_dir_moved_out_is_deleted_and_unwatched_when_the_window_expires()
    {
        Read(E(Root, InotifyMask.MovedFrom | InotifyMask.IsDir, "d", cookie: 4));

        _interpreter.ExpireUnpairedMoves(_held);

        Assert.Equal([new ChangeOp.Delete("d")], _held.TakeResolved());
        Assert.Equal(["remove d"], _host.Calls);
    }

    [Fact]
    public void An_unpaired_moved_to_is_a_move_in()
    {
        Read(
            E(Root, InotifyMask.MovedTo | InotifyMask.IsDir, "in", cookie: 8),
            E(Root, InotifyMask.MovedTo, "file", cookie: 10));

        Assert.Equal(["add in"], _host.Calls);
        Assert.Equal([new ChangeOp.Dirty("in"), new ChangeOp.Dirty("file", Force: true)], _held.TakeResolved());
    }

    [Fact]
    public void A_move_from_a_reserved_name_is_a_move_in()
    {
        Read(
            E(Root, InotifyMask.MovedFrom, ".dlopbox-tmp-1", cookie: 2),
            E(Root, InotifyMask.MovedTo, "file", cookie: 2));

        Assert.Equal([new ChangeOp.Dirty("file", Force: true)], _held.TakeResolved());
    }

    [Fact]
    public void Overflow_resyncs_and_skips_bad_names_and_stale_watches()
    {
        Read(
            new InotifyEvent(Root, InotifyMask.CloseWrite, 0, null, "bad\uFFFD"),
            E(Root, InotifyMask.CloseWrite, "a\uFFFFb"),
            E(99, InotifyMask.CloseWrite, "unknown-watch"),
            E(-1, InotifyMask.QueueOverflow, null));

        Assert.Equal(["resync"], _host.Calls);
        Assert.Equal([ChangeOp.Rescan.Instance], _held.TakeResolved());
    }

    [Fact]
    public void Ignored_forgets_the_watch_and_root_loss_is_reported()
    {
        Read(E(DirD, InotifyMask.Ignored, null), E(Root, InotifyMask.DeleteSelf, null));

        Assert.False(_watches.TryGetPath(DirD, out _));
        Assert.True(_watches.TryGetPath(DirDSub, out _));
        Assert.Equal(["root lost"], _host.Calls);
    }

    [Fact]
    public void A_hard_link_or_a_symlink_is_complete_at_once()
    {
        _host.Disk["linked"] = Status(EntryKind.File, links: 2);
        _host.Disk["d/link"] = Status(EntryKind.Symlink);
        _host.Disk["fifo"] = Status(EntryKind.Other);

        Read(E(Root, InotifyMask.Create, "linked"), E(DirD, InotifyMask.Create, "link"), E(Root, InotifyMask.Create, "fifo"));

        Assert.Equal([new ChangeOp.Dirty("linked", Force: true), new ChangeOp.Dirty("d/link")], _held.TakeResolved());
        Assert.Equal(0, Writes.Count);
    }

    [Fact]
    public void A_created_file_without_writes_is_sent_after_the_settle_time()
    {
        _host.Disk["tmpfile"] = Status(EntryKind.File);

        Read(E(Root, InotifyMask.Create, "tmpfile"));

        Assert.Empty(_held.TakeResolved());
        Assert.Equal(TimeSpan.FromMilliseconds(250), Writes.UntilNextDue());
        Assert.Empty(After(TimeSpan.FromMilliseconds(249)));
        Assert.Equal([new ChangeOp.Dirty("tmpfile", Force: true)], After(TimeSpan.FromMilliseconds(1)));
        Assert.Null(Writes.UntilNextDue());
    }

    [Fact]
    public void A_created_file_that_is_written_and_closed_is_reported_by_its_close_only()
    {
        _host.Disk["f"] = Status(EntryKind.File);

        Read(E(Root, InotifyMask.Create, "f"), E(Root, InotifyMask.Modify, "f"), E(Root, InotifyMask.CloseWrite, "f"));

        Assert.Equal([new ChangeOp.Dirty("f", Force: true)], _held.TakeResolved());
        Assert.Empty(After(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_file_written_without_close_is_sent_after_the_quiet_period()
    {
        _host.Disk["log"] = Status(EntryKind.File);
        Read(E(Root, InotifyMask.Create, "log"));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Read(E(Root, InotifyMask.Modify, "log"));

        // The settle time no longer applies once it is written: one quiet second after the last write.
        Assert.Empty(After(TimeSpan.FromMilliseconds(600)));
        Read(E(Root, InotifyMask.Modify, "log"));
        Assert.Empty(After(TimeSpan.FromMilliseconds(999)));
        Assert.Equal([new ChangeOp.Dirty("log", Force: true)], After(TimeSpan.FromMilliseconds(1)));

        // A later write starts again.
        Read(E(Root, InotifyMask.Modify, "log"));
        Assert.Equal([new ChangeOp.Dirty("log", Force: true)], After(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_file_written_without_pause_is_sent_at_the_max_delay()
    {
        var sent = new List<TimeSpan>();
        var elapsed = TimeSpan.Zero;
        for (var i = 0; i < 120; i++)
        {
            Read(E(DirD, InotifyMask.Modify, "busy"));
            elapsed += TimeSpan.FromMilliseconds(100);
            if (After(TimeSpan.FromMilliseconds(100)).Count > 0)
                sent.Add(elapsed);
        }

        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)], sent);
    }

    [Fact]
    public void Attribute_changes_look_at_the_path_unless_it_is_being_written()
    {
        Read(E(Root, InotifyMask.Attrib, "chmodded"), E(Root, InotifyMask.Attrib | InotifyMask.IsDir, "d"));
        Assert.Equal([new ChangeOp.Dirty("chmodded"), new ChangeOp.Dirty("d")], _held.TakeResolved());

        Read(E(Root, InotifyMask.Modify, "open"), E(Root, InotifyMask.Attrib, "open"));
        Assert.Empty(_held.TakeResolved());
    }

    [Fact]
    public void Tracked_writes_follow_moves_and_end_with_deletes()
    {
        Read(
            E(DirDSub, InotifyMask.Modify, "a"),
            E(DirD, InotifyMask.Modify, "b"),
            E(Root, InotifyMask.Modify, "c"),
            E(Root, InotifyMask.Modify, "gone"),
            E(Root, InotifyMask.Modify, "e-old"));
        Read(
            E(Root, InotifyMask.MovedFrom | InotifyMask.IsDir, "d", cookie: 1),
            E(Root, InotifyMask.MovedTo | InotifyMask.IsDir, "e", cookie: 1),
            E(Root, InotifyMask.MovedFrom, "c", cookie: 2),
            E(DirD, InotifyMask.MovedTo, "c2", cookie: 2),
            E(Root, InotifyMask.Delete, "gone"),
            E(Root, InotifyMask.MovedFrom, "e-old", cookie: 3));
        _interpreter.ExpireUnpairedMoves(_held);
        _held.TakeResolved();

        // "c" moved into d, which is "e" by then; "gone" and "e-old" (moved out) are not tracked any more.
        var released = After(TimeSpan.FromSeconds(1)).Cast<ChangeOp.Dirty>().OrderBy(o => o.Path, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [new ChangeOp.Dirty("e/b", Force: true), new ChangeOp.Dirty("e/c2", Force: true), new ChangeOp.Dirty("e/sub/a", Force: true)],
            released);
        Assert.Equal(0, Writes.Count);
    }
}

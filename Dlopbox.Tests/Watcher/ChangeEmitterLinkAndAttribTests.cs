using System.Security.Cryptography;
using System.Text;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Tests.Deployment;
using Dlopbox.Watcher;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

/// <summary>The emitter on symlinks (mirrored as links, never followed), modes, mtimes, and files that change while hashed.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // Unix file modes; dlopbox runs on Linux
public sealed class ChangeEmitterLinkAndAttribTests : IDisposable
{
    private const int Rw = 0x180; // 0o600
    private const int Rwx = 0x1C0; // 0o700

    private readonly TempTree _tree = new();
    private readonly TreeScanner _scanner;
    private readonly ChangeEmitter _emitter;

    public ChangeEmitterLinkAndAttribTests()
    {
        _scanner = new TreeScanner(Options.Create(_tree.Options()), NullLogger<TreeScanner>.Instance);
        _emitter = new ChangeEmitter(_scanner, NullLogger<ChangeEmitter>.Instance);
    }

    public void Dispose() => _tree.Dispose();

    private int Mode(string relative) => DiskTime.Permissions(_tree.M(relative));

    private FileTime Mtime(string relative) => DiskTime.Mtime(_tree.M(relative));

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<List<FileChange>> Apply(params ChangeOp[] ops)
    {
        var output = new List<FileChange>();
        foreach (var op in ops)
            await _emitter.ApplyAsync(op, output, CancellationToken.None);
        return output;
    }

    private static ChangeOp Dirty(string path, bool force = false) => new ChangeOp.Dirty(path, force);

    [Fact]
    public async Task A_symlink_is_sent_as_a_link_then_retargeted_touched_moved_and_deleted()
    {
        File.CreateSymbolicLink(_tree.M("link"), "missing/target"); // dangling and relative

        Assert.Equal([FileChange.Symlink("link", "missing/target", Mtime("link"))], await Apply(Dirty("link")));
        Assert.Empty(await Apply(Dirty("link"), ChangeOp.Rescan.Instance));

        File.Delete(_tree.M("link"));
        File.CreateSymbolicLink(_tree.M("link"), "/etc/hostname");
        Assert.Equal([FileChange.Symlink("link", "/etc/hostname", Mtime("link"))], await Apply(Dirty("link")));

        var touched = new FileTime(1_700_000_000, 123_456_789); // touch -h: the link's own mtime
        FileTimes.SetMtime(_tree.M("link"), touched);
        Assert.Equal([FileChange.Symlink("link", "/etc/hostname", touched)], await Apply(Dirty("link")));

        File.Move(_tree.M("link"), _tree.M("moved"));
        Assert.Equal([FileChange.MoveSymlink("link", "moved", "/etc/hostname", touched)], await Apply(new ChangeOp.Move("link", "moved")));
        Assert.True(_emitter.Told.TryGet("moved", out var entry) && entry.IsSymlink);

        File.Delete(_tree.M("moved"));
        Assert.Equal([FileChange.Delete("moved", isDir: false)], await Apply(new ChangeOp.Delete("moved")));
    }

    [Fact]
    public async Task A_symlink_to_a_dir_is_a_link_and_is_never_walked_into()
    {
        _tree.Write("real/f", "x");
        Directory.CreateSymbolicLink(_tree.M("dirlink"), _tree.M("real"));

        var changes = await Apply(ChangeOp.Rescan.Instance);

        Assert.Contains(FileChange.Symlink("dirlink", _tree.M("real"), Mtime("dirlink")), changes);
        Assert.DoesNotContain(changes, c => c.Path.StartsWith("dirlink/", StringComparison.Ordinal));
        Assert.Equal(["real", "real/f", "dirlink"], changes.Select(c => c.Path).OrderBy(p => p == "dirlink"));
    }

    [Fact]
    public async Task A_link_replaced_by_a_file_is_deleted_first_and_skip_mode_leaves_links_out()
    {
        File.CreateSymbolicLink(_tree.M("x"), "t");
        await Apply(Dirty("x"));
        File.Delete(_tree.M("x"));
        var sha = _tree.Write("x", "now a file");

        Assert.Equal(
            [FileChange.Delete("x", isDir: false), FileChange.Write("x", 10, Mtime("x"), sha, Mode("x"))],
            await Apply(Dirty("x", force: true)));

        var options = _tree.Options();
        options.Symlinks = SymlinkMode.Skip;
        var skipping = new ChangeEmitter(new TreeScanner(Options.Create(options), NullLogger<TreeScanner>.Instance),
            NullLogger<ChangeEmitter>.Instance);
        File.CreateSymbolicLink(_tree.M("skipped"), "x");
        var output = new List<FileChange>();
        await skipping.ApplyAsync(ChangeOp.Rescan.Instance, output, CancellationToken.None);
        Assert.Equal(["x"], output.Select(c => c.Path));
    }

    [Fact]
    public async Task Modes_are_carried_on_writes_and_mkdirs()
    {
        var sha = _tree.Write("private/key", "secret");
        File.SetUnixFileMode(_tree.M("private/key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(_tree.M("private"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal(
            [FileChange.Mkdir("private", Rwx), FileChange.Write("private/key", 6, Mtime("private/key"), sha, Rw)],
            await Apply(ChangeOp.Rescan.Instance));
    }

    [Fact]
    public async Task A_chmod_is_an_attrib_without_hashing()
    {
        _tree.Write("f", "aaaa");
        Directory.CreateDirectory(_tree.M("d"));
        await Apply(ChangeOp.Rescan.Instance);
        var mtime = Mtime("f");
        _tree.Write("f", "bbbb");
        FileTimes.SetMtime(_tree.M("f"), mtime); // other bytes behind the same size and mtime: only a hash would see them
        File.SetUnixFileMode(_tree.M("f"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(_tree.M("d"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal(
            [FileChange.Attrib("f", isDir: false, Rw, mtime), FileChange.Attrib("d", isDir: true, Rwx, mtime: null)],
            await Apply(Dirty("f"), Dirty("d")));
        Assert.Empty(await Apply(Dirty("f"), Dirty("d")));
    }

    [Fact]
    public async Task A_touch_is_an_attrib_and_new_bytes_are_a_write()
    {
        _tree.Write("f", "same");
        await Apply(ChangeOp.Rescan.Instance);

        var touched = new FileTime(1_600_000_000, 987_654_321);
        FileTimes.SetMtime(_tree.M("f"), touched);
        Assert.Equal([FileChange.Attrib("f", isDir: false, Mode("f"), touched)], await Apply(Dirty("f")));

        var sha = _tree.Write("f", "diff");
        FileTimes.SetMtime(_tree.M("f"), new FileTime(1_600_000_001, 1));
        Assert.Equal([FileChange.Write("f", 4, new FileTime(1_600_000_001, 1), sha, Mode("f"))], await Apply(Dirty("f")));
    }

    [Fact]
    public async Task An_entry_without_a_known_mode_gets_an_attrib_once()
    {
        _tree.Write("old", "from an older state");
        Directory.CreateDirectory(_tree.M("olddir"));
        _emitter.Told.Apply(FileChange.Mkdir("olddir"));
        _emitter.Told.Apply(FileChange.Write("old", 19, Mtime("old"), TempTree.Sha("from an older state")));

        Assert.Equal(
            [FileChange.Attrib("old", isDir: false, Mode("old"), Mtime("old")), FileChange.Attrib("olddir", isDir: true, Mode("olddir"), null)],
            await Apply(ChangeOp.Rescan.Instance));
        Assert.Empty(await Apply(ChangeOp.Rescan.Instance));
    }

    [Fact]
    public async Task A_rescan_sees_a_swap_of_two_same_size_files_with_the_same_mtime()
    {
        var shaA = _tree.Write("a", "AAAA");
        var shaB = _tree.Write("b", "BBBB");
        var tick = new FileTime(1_650_000_000, 5);
        FileTimes.SetMtime(_tree.M("a"), tick);
        FileTimes.SetMtime(_tree.M("b"), tick);
        await Apply(ChangeOp.Rescan.Instance);

        File.Move(_tree.M("a"), _tree.M("t"));
        File.Move(_tree.M("b"), _tree.M("a"));
        File.Move(_tree.M("t"), _tree.M("b"));

        Assert.Equal(
            [FileChange.Write("a", 4, tick, shaB, Mode("a")), FileChange.Write("b", 4, tick, shaA, Mode("b"))],
            await Apply(ChangeOp.Rescan.Instance));
        Assert.Empty(await Apply(ChangeOp.Rescan.Instance));
    }

    [Fact]
    public async Task A_file_that_grew_while_hashed_is_sent_as_the_prefix_that_was_measured()
    {
        var first = Encoding.UTF8.GetBytes("0123456789");
        File.WriteAllBytes(_tree.M("log"), first);
        Assert.True(FileStatus.TryLstat(_tree.M("log"), out var before));
        File.AppendAllText(_tree.M("log"), "more"); // the append lands between the lstat and the hash
        FileTimes.SetMtime(_tree.M("log"), new FileTime(before.Mtime.Seconds + 1, 0));

        var told = new ToldState(_scanner);
        var paths = new PathEmitter(_scanner, new StableHasher(_scanner, NullLogger.Instance), told);
        await paths.DirtyAsync("log", force: true, CancellationToken.None, new ScannedEntry("log", before));

        Assert.Equal([FileChange.Write("log", 10, before.Mtime, Sha(first), before.Permissions)], told.Output);
    }

    [Fact]
    public async Task A_file_that_shrank_or_was_replaced_while_hashed_gives_nothing_and_one_rewritten_in_place_is_read_again()
    {
        var hasher = new StableHasher(_scanner, NullLogger.Instance);
        _tree.Write("f", "0123456789");
        Assert.True(FileStatus.TryLstat(_tree.M("f"), out var before));

        _tree.Write("f", "01234");
        Assert.Null(await hasher.HashAsync("f", before, CancellationToken.None));

        // Same size, another mtime: never the version lstat saw; read again from a fresh lstat, it is the new one.
        _tree.Write("f", "abcdefghij");
        var rewritten = new FileTime(before.Mtime.Seconds + 1, 0);
        FileTimes.SetMtime(_tree.M("f"), rewritten);
        var reread = await hasher.HashAsync("f", before, CancellationToken.None);
        Assert.Equal((10L, rewritten, TempTree.Sha("abcdefghij")), (reread!.Value.Size, reread.Value.Mtime, reread.Value.Sha256));

        File.Delete(_tree.M("f"));
        _tree.Write("target", "0123456789");
        File.CreateSymbolicLink(_tree.M("f"), _tree.M("target")); // never read through
        Assert.Null(await hasher.HashAsync("f", before, CancellationToken.None));

        Assert.True(FileStatus.TryLstat(_tree.M("target"), out var target));
        Assert.Equal(new HashedFile(10, target.Mtime, TempTree.Sha("0123456789"), target),
            await hasher.HashAsync("target", target, CancellationToken.None));
    }

    [Fact]
    public async Task A_file_whose_other_name_was_unlinked_while_hashed_is_read_again_and_sent()
    {
        // git's loose objects: `ln tmp obj; rm tmp`. The lstat of obj is taken while tmp still exists; the
        // unlink then moves obj's ctime (and only that), and no later event names obj.
        var hasher = new StableHasher(_scanner, NullLogger.Instance);
        _tree.Write("tmp", "object bytes");
        Assert.Equal(0, Tool.Run("ln", [_tree.M("tmp"), _tree.M("obj")]).ExitCode);
        Assert.True(FileStatus.TryLstat(_tree.M("obj"), out var before));
        Assert.Equal(2u, before.LinkCount);
        SpinUntilCtimeMoves(_tree.M("obj"), before.Ctime, () => File.Delete(_tree.M("tmp")));

        var hashed = await hasher.HashAsync("obj", before, CancellationToken.None);

        Assert.Equal(2, hasher.FilesHashed);
        Assert.True(FileStatus.TryLstat(_tree.M("obj"), out var after));
        Assert.Equal(new HashedFile(12, before.Mtime, TempTree.Sha("object bytes"), after), hashed);
        Assert.Equal(1u, hashed!.Value.Disk.LinkCount);
    }

    /// <summary>Runs <paramref name="change"/>, first waiting for the clock to pass <paramref name="ctime"/>'s tick (coarse file-system clocks).</summary>
    private static void SpinUntilCtimeMoves(string path, FileTime ctime, Action change)
    {
        Assert.True(SpinWait.SpinUntil(() => FileTime.FromDateTimeOffset(DateTimeOffset.UtcNow) > ctime, TimeSpan.FromSeconds(2)));
        change();
        Assert.True(FileStatus.TryLstat(path, out var now));
        Assert.NotEqual(ctime, now.Ctime);
    }

    [Fact]
    public async Task A_link_whose_target_is_not_utf8_is_skipped()
    {
        var result = Tool.Run("bash", ["-c", "ln -s $'bad\\xff' \"$0\"", _tree.M("bad")]);
        Assert.Equal(0, result.ExitCode);
        File.CreateSymbolicLink(_tree.M("good"), "fine");

        Assert.Equal(["good"], (await Apply(ChangeOp.Rescan.Instance, Dirty("bad"))).Select(c => c.Path));
    }

    [Fact]
    public async Task Everything_the_emitter_sends_passes_the_interfaces_checks()
    {
        _tree.Write("d/f", "content");
        File.CreateSymbolicLink(_tree.M("d/link"), "f");
        var changes = await Apply(ChangeOp.Rescan.Instance);
        File.SetUnixFileMode(_tree.M("d/f"), UnixFileMode.UserRead);
        File.SetUnixFileMode(_tree.M("d"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        FileTimes.SetMtime(_tree.M("d/link"), new FileTime(1_000_000_000, 1));
        changes.AddRange(await Apply(Dirty("d/f"), Dirty("d"), Dirty("d/link")));
        FileTimes.SetMtime(_tree.M("d/f"), new FileTime(1_000_000_000, 2));
        Directory.Move(_tree.M("d"), _tree.M("e"));
        File.Move(_tree.M("e/link"), _tree.M("e/link2"));
        File.Move(_tree.M("e/f"), _tree.M("e/g"));
        changes.AddRange(await Apply(new ChangeOp.Move("d", "e"), new ChangeOp.Move("e/link", "e/link2"), new ChangeOp.Move("e/f", "e/g"),
            Dirty("e/g"), new ChangeOp.Delete("e")));

        Assert.Equal(
            [ChangeKind.Mkdir, ChangeKind.Write, ChangeKind.Symlink, ChangeKind.Attrib, ChangeKind.Attrib, ChangeKind.Symlink,
                ChangeKind.Move, ChangeKind.Move, ChangeKind.Move, ChangeKind.Attrib, ChangeKind.Delete],
            changes.Select(c => c.Kind));
        var batch = new EventBatch { Source = "test", Events = changes };
        Assert.Empty(Dlopbox.Interface.Api.EventBatchValidator.Validate(batch, maxFileSize: 1 << 20));
    }
}

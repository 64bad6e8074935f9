using System.Text;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Tests.Deployment;

namespace Dlopbox.Tests.Watcher;

/// <summary>
/// What inotify tells without an IN_CLOSE_WRITE (hard links, files kept open), attributes (chmod, touch) and
/// symlinks, against the real kernel. Times out well before the 5-minute rescan would have caught anything.
/// </summary>
public sealed class InotifyWatcherAttributeTests : IDisposable
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(8);

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static void Run(string command, params string[] args)
    {
        var result = Tool.Run(command, args);
        Assert.True(result.ExitCode == 0, $"{command} {string.Join(' ', args)}: {result.Output}");
    }

    [Fact]
    public async Task A_hard_linked_file_arrives_without_a_close_write()
    {
        var outside = Path.Combine(_tree.Outside, "complete");
        File.WriteAllText(outside, "linked in whole");
        File.WriteAllText(_tree.M("tmp_obj_1"), "git object");
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        Run("ln", outside, _tree.M("linked"));
        // git's loose objects: temp file, link to the final name, unlink the temp file.
        Run("ln", _tree.M("tmp_obj_1"), _tree.M("object"));
        File.Delete(_tree.M("tmp_obj_1"));

        var changes = await watcher.Sink.WaitForAsync(c =>
            c.Any(x => x is { Kind: ChangeKind.Write, Path: "linked" } && x.Sha256 == TempTree.Sha("linked in whole"))
            && c.Any(x => x is { Kind: ChangeKind.Write, Path: "object" } && x.Sha256 == TempTree.Sha("git object"))
            && c.Contains(FileChange.Delete("tmp_obj_1", isDir: false)), mark, Soon);
        Assert.DoesNotContain(changes, c => c.Path == "linked" && c.Sha256 != TempTree.Sha("linked in whole"));
    }

    [Fact]
    public async Task A_file_kept_open_is_sent_once_its_writes_pause()
    {
        await using var watcher = await WatcherHarness.StartAsync(_tree);

        await using var log = new FileStream(_tree.M("daemon.log"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
        log.Write(Encoding.UTF8.GetBytes("line 1\n"));
        log.Flush();
        await watcher.Sink.WaitForAsync(c => c.Any(x => x.Path == "daemon.log" && x.Sha256 == TempTree.Sha("line 1\n")), timeout: Soon);

        log.Write(Encoding.UTF8.GetBytes("line 2\n"));
        log.Flush();
        var changes = await watcher.Sink.WaitForAsync(
            c => c.Any(x => x.Path == "daemon.log" && x.Sha256 == TempTree.Sha("line 1\nline 2\n")), timeout: Soon);
        var last = changes.Last(c => c.Path == "daemon.log");
        Assert.Equal((ChangeKind.Write, 14L), (last.Kind, last.Size));
        Assert.Equal(DiskTime.Mtime(_tree.M("daemon.log")), last.Mtime);
    }

    [Fact]
    public async Task A_chmod_is_an_attrib_and_a_touch_with_nanoseconds_too()
    {
        _tree.Write("f", "content");
        Directory.CreateDirectory(_tree.M("d"));
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        Run("chmod", "600", _tree.M("f"));
        Run("chmod", "700", _tree.M("d"));
        Run("touch", "-m", "-d", "@1612325106.123456789", _tree.M("f"));

        var touched = new FileTime(1612325106, 123456789);
        var changes = await watcher.Sink.WaitForAsync(c => c.Contains(FileChange.Attrib("f", isDir: false, 0x180, touched))
            && c.Contains(FileChange.Attrib("d", isDir: true, 0x1C0, null)), mark, Soon);
        Assert.All(changes, c => Assert.Equal(ChangeKind.Attrib, c.Kind));
        Assert.Equal(touched, DiskTime.Mtime(_tree.M("f")));
    }

    [Fact]
    public async Task Symlinks_are_mirrored_created_retargeted_and_replaced()
    {
        Directory.CreateDirectory(_tree.M("dir"));
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;
        FileChange Link(string path, string target) => FileChange.Symlink(path, target, DiskTime.Mtime(_tree.M(path)));

        File.CreateSymbolicLink(_tree.M("relative"), "dir/file");
        File.CreateSymbolicLink(_tree.M("absolute"), "/etc/hostname");
        File.CreateSymbolicLink(_tree.M("dangling"), "no/such/thing");
        Directory.CreateSymbolicLink(_tree.M("to-dir"), "dir");
        var expected = new[] { Link("relative", "dir/file"), Link("absolute", "/etc/hostname"), Link("dangling", "no/such/thing"), Link("to-dir", "dir") };
        await watcher.Sink.WaitForAsync(c => expected.All(c.Contains), mark, Soon);

        // A write through the link to a dir lands in the dir: the link itself is not followed.
        mark = watcher.Sink.Changes.Count;
        Run("ln", "-sfn", "/etc", _tree.M("relative"));
        var retargeted = Link("relative", "/etc");
        File.Delete(_tree.M("dangling"));
        _tree.Write("dangling", "a file now");
        var changes = await watcher.Sink.WaitForAsync(c => c.Any(x => x.Target == "/etc" && x.Path == "relative")
            && c.Any(x => x is { Kind: ChangeKind.Write, Path: "dangling" }), mark, Soon);
        Assert.Contains(FileChange.Delete("dangling", isDir: false), changes);
        Assert.True(watcher.Emitter.Told.TryGet("relative", out var link));
        Assert.Equal(("/etc", retargeted.Mtime), (link.Target, (FileTime?)link.Mtime));
        Assert.True(watcher.Emitter.Told.TryGet("to-dir", out var toDir) && toDir.IsSymlink);
        Assert.DoesNotContain(watcher.Sink.Changes, c => c.Path.StartsWith("to-dir/", StringComparison.Ordinal));
    }
}

using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Watcher;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Dlopbox.Watcher.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

[System.Runtime.Versioning.SupportedOSPlatform("linux")] // Unix file modes; dlopbox runs on Linux
public sealed class PollingWatcherTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task A_file_is_reported_once_stable_for_one_poll_and_a_vanished_path_is_a_delete()
    {
        var options = Options.Create(_tree.Options(WatchMode.Polling));
        var scanner = new TreeScanner(options, NullLogger<TreeScanner>.Instance);
        using var poller = new PollingWatcher(new PendingChanges(), scanner, options, NullLogger<PollingWatcher>.Instance, TimeProvider.System);
        await poller.StartAsync(CancellationToken.None);

        _tree.Write("d/f", "partial");
        Assert.Equal([new ChangeOp.Dirty("d")], poller.Poll()); // the file is new: not stable yet

        _tree.Write("d/f", "partial, then more");
        Assert.Empty(poller.Poll()); // still changing

        Assert.Equal([new ChangeOp.Dirty("d/f")], poller.Poll()); // stable for one interval
        Assert.Empty(poller.Poll());

        Directory.Delete(_tree.M("d"), recursive: true);
        Assert.Equal([new ChangeOp.Delete("d")], poller.Poll());
    }

    [Fact]
    public async Task The_polling_watcher_core_sends_stable_files()
    {
        await using var watcher = await WatcherHarness.StartAsync(_tree, WatchMode.Polling);

        var sha = _tree.Write("polled.txt", "polled");

        var changes = await watcher.Sink.WaitForAsync(c => c.Any(x => x.Path == "polled.txt"));
        Assert.Equal(sha, Assert.Single(changes).Sha256);

        File.Delete(_tree.M("polled.txt"));
        await watcher.Sink.WaitForAsync(c => c.Contains(FileChange.Delete("polled.txt", isDir: false)));
    }

    [Fact]
    public async Task A_file_that_never_holds_still_is_reported_after_the_maximum_write_delay()
    {
        var options = Options.Create(_tree.Options(WatchMode.Polling));
        var time = new ManualTimeProvider();
        var scanner = new TreeScanner(options, NullLogger<TreeScanner>.Instance);
        using var poller = new PollingWatcher(new PendingChanges(), scanner, options, NullLogger<PollingWatcher>.Instance, time);
        await poller.StartAsync(CancellationToken.None);

        // A log appended to between every two polls: never stable for one interval.
        var writes = 0;
        List<ChangeOp> Append()
        {
            File.AppendAllText(_tree.M("daemon.log"), $"line {++writes}\n");
            time.Advance(TimeSpan.FromSeconds(1));
            return poller.Poll();
        }
        Assert.Empty(Append());
        for (var second = 1; second < options.Value.MaxWriteDelay.TotalSeconds; second++)
            Assert.Empty(Append());
        Assert.Equal([new ChangeOp.Dirty("daemon.log")], Append()); // still changing, but it has waited long enough
        Assert.Empty(Append()); // and its clock starts again
    }

    private PollingWatcher Poller()
    {
        var options = Options.Create(_tree.Options(WatchMode.Polling));
        var scanner = new TreeScanner(options, NullLogger<TreeScanner>.Instance);
        return new PollingWatcher(new PendingChanges(), scanner, options, NullLogger<PollingWatcher>.Instance, TimeProvider.System);
    }

    [Fact]
    public async Task Symlinks_and_modes_are_polled_and_links_need_no_second_look()
    {
        _tree.Write("f", "x");
        using var poller = Poller();
        await poller.StartAsync(CancellationToken.None);
        Assert.Equal([new ChangeOp.Dirty("f")], poller.Poll());

        File.CreateSymbolicLink(_tree.M("link"), "f");
        Assert.Equal([new ChangeOp.Dirty("link")], poller.Poll()); // made in one step: no stability wait
        Assert.Empty(poller.Poll());

        File.Delete(_tree.M("link"));
        File.CreateSymbolicLink(_tree.M("link"), "elsewhere");
        File.SetUnixFileMode(_tree.M("f"), UnixFileMode.UserRead);
        Assert.Equal([new ChangeOp.Dirty("link")], poller.Poll()); // the chmod waits one interval, as content does
        // Same size and mtime, but the ctime moved: forced, so the emitter hashes rather than trusting them.
        Assert.Equal([new ChangeOp.Dirty("f", Force: true)], poller.Poll());
        Assert.Empty(poller.Poll());
    }

    [Fact]
    public async Task A_swap_of_two_same_size_files_within_one_tick_is_seen_end_to_end()
    {
        var shaA = _tree.Write("a", "AAAA");
        var shaB = _tree.Write("b", "BBBB");
        var tick = new FileTime(1_650_000_000, 5);
        FileTimes.SetMtime(_tree.M("a"), tick);
        FileTimes.SetMtime(_tree.M("b"), tick);
        await using var watcher = await WatcherHarness.StartAsync(_tree, WatchMode.Polling);
        Assert.Equal(2, watcher.Sink.Changes.Count);

        File.Move(_tree.M("a"), _tree.M("t"));
        File.Move(_tree.M("b"), _tree.M("a"));
        File.Move(_tree.M("t"), _tree.M("b"));

        await watcher.Sink.WaitForAsync(c => c.Any(x => x is { Kind: ChangeKind.Write, Path: "a" } && x.Sha256 == shaB)
            && c.Any(x => x is { Kind: ChangeKind.Write, Path: "b" } && x.Sha256 == shaA), from: 2);
    }

    [Fact]
    public async Task The_polling_core_sends_links_and_attribs()
    {
        _tree.Write("f", "same");
        await using var watcher = await WatcherHarness.StartAsync(_tree, WatchMode.Polling);
        var mark = watcher.Sink.Changes.Count;

        Directory.CreateSymbolicLink(_tree.M("to-dir"), "/etc");
        File.SetUnixFileMode(_tree.M("f"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var changes = await watcher.Sink.WaitForAsync(c => c.Contains(FileChange.Symlink("to-dir", "/etc", DiskTime.Mtime(_tree.M("to-dir"))))
            && c.Contains(FileChange.Attrib("f", isDir: false, 0x180, DiskTime.Mtime(_tree.M("f")))), mark);
        Assert.DoesNotContain(changes, c => c.Kind == ChangeKind.Write);
    }
}

using Dlopbox.Contracts;
using Dlopbox.Watcher;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Dlopbox.Watcher.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

public sealed class PollingWatcherTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task A_file_is_reported_once_stable_for_one_poll_and_a_vanished_path_is_a_delete()
    {
        var options = Options.Create(_tree.Options(WatchMode.Polling));
        var scanner = new TreeScanner(options, NullLogger<TreeScanner>.Instance);
        using var poller = new PollingWatcher(new PendingChanges(), scanner, options, NullLogger<PollingWatcher>.Instance);
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
}

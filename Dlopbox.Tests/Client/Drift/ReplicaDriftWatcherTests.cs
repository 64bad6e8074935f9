using Dlopbox.Client.Drift;
using Dlopbox.Contracts;

namespace Dlopbox.Tests.Client.Drift;

/// <summary>The watcher on a real dir (inotify), with the system clock and a short settle time.</summary>
public sealed class ReplicaDriftWatcherTests : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _dir = new();
    private readonly OwnWrites _own = new(TimeProvider.System);
    private readonly RecordingLogger<ReplicaDriftWatcher> _logger = new();
    private readonly ReplicaDriftWatcher _watcher;

    public ReplicaDriftWatcherTests()
    {
        _watcher = new ReplicaDriftWatcher(_dir.Replica, _own, Settle, TimeProvider.System, _logger);
        _watcher.Start();
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Reports_a_local_change_once_settled_and_logs_its_path()
    {
        _dir.WriteFile("note.txt", "mine");

        var report = await _watcher.WaitAsync(new CancellationTokenSource(Timeout).Token);

        Assert.Equal(["note.txt"], report.Paths);
        Assert.False(report.Overflowed);
        Assert.Contains(_logger.Entries, entry => entry.Message.Contains("Local change to note.txt in the replica"));
    }

    [Fact]
    public async Task Ignores_temp_names_and_the_clients_own_writes()
    {
        _dir.WriteFile(WireNames.TempFilePrefix + "abc", "download in progress");
        _own.Record("sub/own.txt");
        _dir.WriteFile("sub/own.txt", "the client's");
        // Written last: the report holds it alone if the others were ignored.
        _dir.WriteFile("theirs.txt", "someone else's");

        var report = await _watcher.WaitAsync(new CancellationTokenSource(Timeout).Token);

        Assert.Equal(["theirs.txt"], report.Paths);
    }

    [Fact]
    public async Task A_burst_is_one_report_of_its_paths_and_nothing_counts_while_suspended()
    {
        // Events of a write made while suspended may arrive after Resume: the reconcile's writes are recorded too.
        _own.Record("during-reconcile.txt");
        _watcher.Suspend();
        _dir.WriteFile("during-reconcile.txt", "x");
        _watcher.Resume();
        for (var i = 0; i < 5; i++)
            _dir.WriteFile($"burst/f{i}", $"{i}");

        var report = await _watcher.WaitAsync(new CancellationTokenSource(Timeout).Token);

        // inotify watches a new dir only once it sees it, so files made in it at once may be missed; the dir is not,
        // and a repair reconciles the whole tree anyway.
        Assert.Contains("burst", report.Paths);
        Assert.All(report.Paths, path => Assert.StartsWith("burst", path));
    }
}

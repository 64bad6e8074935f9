using Dlopbox.Client.Drift;
using Dlopbox.Contracts;

namespace Dlopbox.Tests.Client.Drift;

/// <summary>The watcher on a real dir (inotify), with the system clock and a short settle time.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
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

    [Fact]
    public async Task A_dir_moved_within_the_replica_reports_later_changes_under_its_new_name()
    {
        _dir.WriteFile("old/first.txt", "1");
        await NextReportAsync();
        Directory.Move(_dir.InReplica("old"), _dir.InReplica("new"));
        Assert.Equal(["new", "old"], [.. (await NextReportAsync()).Paths.Order(StringComparer.Ordinal)]);

        _dir.WriteFile("new/second.txt", "2");

        Assert.Equal(["new/second.txt"], (await NextReportAsync()).Paths);
    }

    [Fact]
    public async Task Chmod_touch_and_delete_are_drift_too()
    {
        var file = _dir.WriteFile("f.txt", "x");
        await NextReportAsync();

        File.SetUnixFileMode(file, UnixFileMode.UserRead);
        Assert.Equal(["f.txt"], (await NextReportAsync()).Paths);
        File.SetLastWriteTimeUtc(file, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        Assert.Equal(["f.txt"], (await NextReportAsync()).Paths);
        File.Delete(file);
        Assert.Equal(["f.txt"], (await NextReportAsync()).Paths);
    }

    [Fact]
    public async Task Neither_reserved_dirs_nor_dirs_behind_a_symlink_are_watched()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_dir.Root, "outside")).FullName;
        Directory.CreateDirectory(_dir.InReplica(WireNames.ReservedNamePrefix + "-state"));
        File.CreateSymbolicLink(_dir.InReplica("link"), outside);
        Assert.Equal(["link"], (await NextReportAsync()).Paths);

        File.WriteAllText(Path.Combine(outside, "through-link.txt"), "not the replica's");
        _dir.WriteFile(WireNames.ReservedNamePrefix + "-state/offsets", "the client's");
        // Written last, so any event of the two above would have come before it.
        _dir.WriteFile("marker.txt", "m");

        Assert.Equal(["marker.txt"], (await NextReportAsync()).Paths);
    }

    private Task<DriftReport> NextReportAsync() => _watcher.WaitAsync(new CancellationTokenSource(Timeout).Token);
}

using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.Sources;

/// <summary>
/// For file systems without inotify (Docker Desktop bind mounts, network shares): walks the tree every
/// <see cref="WatcherOptions.PollInterval"/>. A file is reported only once its size and mtime held still for
/// one interval, so files being written do not ship half-done; vanished paths are deletes.
/// </summary>
internal sealed partial class PollingWatcher(
    PendingChanges pending,
    TreeScanner scanner,
    IOptions<WatcherOptions> options,
    ILogger<PollingWatcher> logger) : IChangeSource
{
    private readonly TimeSpan _interval = options.Value.PollInterval;

    // What the previous poll saw, and what this watcher last reported per path.
    private Dictionary<string, DiskEntry> _previous = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DiskEntry> _reported = new(StringComparer.Ordinal);

    public Task<TreeCount> StartAsync(CancellationToken cancellationToken)
    {
        _previous = Snapshot();
        var dirs = _previous.Values.Count(e => e.IsDir);
        return Task.FromResult(new TreeCount(dirs, _previous.Count - dirs));
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                pending.EnqueueRange(Poll());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One poll: the ops that bring the reported view in line with the disk.</summary>
    internal List<ChangeOp> Poll()
    {
        var current = Snapshot();
        var ops = new List<ChangeOp>();

        // Deletes first, top-most only: a vanished dir takes its contents with it.
        string? deletedDir = null;
        foreach (var path in _reported.Keys.Where(p => !current.ContainsKey(p)).Order(StringComparer.Ordinal).ToList())
        {
            _reported.Remove(path);
            if (deletedDir is not null && Contracts.PathRules.IsSameOrUnder(path, deletedDir))
                continue;
            ops.Add(new ChangeOp.Delete(path));
            deletedDir = path;
        }

        foreach (var (path, disk) in current)
        {
            var reported = _reported.TryGetValue(path, out var r) ? r : (DiskEntry?)null;
            if (disk.IsDir)
            {
                if (reported is { IsDir: true })
                    continue;
            }
            else if (reported is { } known && known.SameContentStamp(disk)
                || !(_previous.TryGetValue(path, out var before) && before.SameContentStamp(disk)))
            {
                continue; // unchanged since reported, or not yet stable for one interval
            }
            ops.Add(new ChangeOp.Dirty(path));
            _reported[path] = disk;
        }

        _previous = current;
        if (ops.Count > 0)
            LogPolled(current.Count, ops.Count);
        return ops;
    }

    private Dictionary<string, DiskEntry> Snapshot()
    {
        // Insertion order is walk order (parents first), which Poll relies on for new dirs.
        var snapshot = new Dictionary<string, DiskEntry>(StringComparer.Ordinal);
        foreach (var (path, disk) in scanner.Walk(""))
            snapshot[path] = disk;
        return snapshot;
    }

    public void Dispose()
    {
    }

    [LoggerMessage(LogLevel.Debug, "Poll of {Entries} entries found {Ops} changes")]
    private partial void LogPolled(int entries, int ops);
}

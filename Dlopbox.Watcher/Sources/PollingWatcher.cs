using Dlopbox.FileSystem;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.Sources;

/// <summary>
/// For file systems without inotify (Docker Desktop bind mounts, network shares): walks the tree every
/// <see cref="WatcherOptions.PollInterval"/> and compares what inotify would tell apart: kind, size, mtime,
/// mode, inode, ctime and link target. A file is reported only once it held still for one interval, so
/// files being written do not ship half-done; dirs and symlinks (made in one step) at once; vanished paths
/// are deletes. When only the inode or ctime moved (a swap of two same-size files within one timestamp
/// tick), the Dirty is forced so the emitter hashes rather than trusting size and mtime. A file that never
/// holds still (a log written without pause) is reported anyway once it has been changing for
/// <see cref="WatcherOptions.MaxWriteDelay"/>, as inotify mode does; the emitter then sends the prefix it hashed.
/// </summary>
internal sealed partial class PollingWatcher(
    PendingChanges pending,
    TreeScanner scanner,
    IOptions<WatcherOptions> options,
    ILogger<PollingWatcher> logger,
    TimeProvider time) : IChangeSource
{
    private readonly TimeSpan _interval = options.Value.PollInterval;
    private readonly TimeSpan _maxWriteDelay = options.Value.MaxWriteDelay;

    // What the previous poll saw, and what this watcher last reported per path.
    private Dictionary<string, ScannedEntry> _previous = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScannedEntry> _reported = new(StringComparer.Ordinal);

    // Since when each file that differs from its report has been changing from poll to poll.
    private readonly Dictionary<string, long> _changingSince = new(StringComparer.Ordinal);

    public Task<TreeCount> StartAsync(CancellationToken cancellationToken)
    {
        _previous = Snapshot();
        var dirs = _previous.Values.Count(e => e.Disk.IsDir);
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

        var now = time.GetTimestamp();
        foreach (var (path, entry) in current)
        {
            var reported = _reported.TryGetValue(path, out var r) ? r : (ScannedEntry?)null;
            if (reported is { } known && SameAsReported(known, entry))
            {
                _changingSince.Remove(path);
                continue;
            }
            var force = false;
            if (entry.Disk.Kind == EntryKind.File)
            {
                if (!(_previous.TryGetValue(path, out var before) && SameAsReported(before, entry)) && !ChangingTooLong(path, now))
                    continue; // not yet stable for one interval
                force = reported is { Disk.Kind: EntryKind.File } k && k.Disk.Size == entry.Disk.Size && k.Disk.Mtime == entry.Disk.Mtime;
            }
            ops.Add(new ChangeOp.Dirty(path, force));
            _reported[path] = entry;
            _changingSince.Remove(path);
        }
        foreach (var gone in _changingSince.Keys.Where(p => !current.ContainsKey(p)).ToList())
            _changingSince.Remove(gone);

        _previous = current;
        if (ops.Count > 0)
            LogPolled(logger, current.Count, ops.Count);
        return ops;
    }

    /// <summary>True once <paramref name="path"/> has been changing for <see cref="_maxWriteDelay"/>; starts its clock otherwise.</summary>
    private bool ChangingTooLong(string path, long now)
    {
        if (!_changingSince.TryGetValue(path, out var since))
        {
            _changingSince[path] = now;
            return false;
        }
        return time.GetElapsedTime(since, now) >= _maxWriteDelay;
    }

    /// <summary>Nothing a replica would see differently, and no sign of other bytes behind the same size and mtime.</summary>
    private static bool SameAsReported(ScannedEntry known, ScannedEntry now) =>
        known.Disk.Kind == now.Disk.Kind && known.Disk.Permissions == now.Disk.Permissions && known.Target == now.Target
        && (now.Disk.IsDir
            || (known.Disk.Size == now.Disk.Size && known.Disk.Mtime == now.Disk.Mtime && known.Disk.Inode == now.Disk.Inode
                && known.Disk.Ctime == now.Disk.Ctime));

    private Dictionary<string, ScannedEntry> Snapshot()
    {
        // Insertion order is walk order (parents first), which Poll relies on for new dirs.
        var snapshot = new Dictionary<string, ScannedEntry>(StringComparer.Ordinal);
        foreach (var entry in scanner.Walk(""))
            snapshot[entry.Path] = entry;
        return snapshot;
    }

    public void Dispose()
    {
    }

    [LoggerMessage(LogLevel.Debug, "Poll of {Entries} entries found {Ops} changes")]
    private static partial void LogPolled(ILogger logger, int entries, int ops);
}

using Dlopbox.Contracts;

namespace Dlopbox.Client.Drift;

/// <summary>What changed in the replica behind the client's back, in one burst.</summary>
/// <param name="Paths">Wire paths, at most <see cref="ReplicaDriftWatcher.MaxPaths"/>.</param>
/// <param name="More">Paths seen beyond those.</param>
/// <param name="Overflowed">The kernel dropped events: anything may have changed.</param>
internal sealed record DriftReport(IReadOnlyList<string> Paths, int More, bool Overflowed);

/// <summary>
/// Watches the replica dir (inotify, through <see cref="ReplicaTreeWatch"/>) for changes the client did not
/// make: those it made are in <see cref="OwnWrites"/>, temp and other reserved names are the client's, and
/// everything is ignored while <see cref="Suspend"/>ed (a reconcile writes a lot). A burst of drift is
/// reported once the replica has been quiet for the settle time, so one repair handles a whole <c>cp -r</c>.
/// </summary>
internal sealed partial class ReplicaDriftWatcher(
    string root, OwnWrites ownWrites, TimeSpan settleTime, TimeProvider time, ILogger<ReplicaDriftWatcher> logger) : IDisposable
{
    public const int MaxPaths = 1000;

    private readonly string _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    private readonly Lock _lock = new();
    private readonly List<string> _paths = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private ReplicaTreeWatch? _watch;
    private ITimer? _settle;
    private int _more;
    private bool _overflowed;
    private bool _ready;
    private bool _suspended;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Start()
    {
        _settle = time.CreateTimer(_ => Settled(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watch = new ReplicaTreeWatch(_root, Seen, Overflow, logger);
        _watch.Start();
        LogWatching(logger, _root);
    }

    /// <summary>Ignore everything from now on (the client is about to reconcile), and drop what is pending.</summary>
    public void Suspend()
    {
        lock (_lock)
        {
            _suspended = true;
            ClearLocked();
        }
    }

    /// <summary>Watch again; what happened while suspended was the reconcile's (or is repaired by it).</summary>
    public void Resume()
    {
        lock (_lock)
        {
            _suspended = false;
            ClearLocked();
        }
    }

    /// <summary>Waits for a settled burst of drift, logs its paths (once each, capped) and returns them.</summary>
    public async Task<DriftReport> WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                if (_ready)
                {
                    var report = new DriftReport([.. _paths], _more, _overflowed);
                    ClearLocked();
                    LogReport(report);
                    return report;
                }
                signal = _signal.Task;
            }
            await signal.WaitAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _settle?.Dispose();
    }

    /// <summary>A changed wire path, never a reserved one (the tree watch drops those).</summary>
    private void Seen(string relative)
    {
        // Checked before the lock: the client's own writes are by far the most events.
        if (ownWrites.IsRecent(relative))
            return;
        lock (_lock)
        {
            if (_suspended)
                return;
            if (_seen.Add(relative))
            {
                if (_paths.Count < MaxPaths)
                    _paths.Add(relative);
                else
                    _more++;
            }
            _settle!.Change(settleTime, Timeout.InfiniteTimeSpan);
        }
    }

    private void Overflow()
    {
        lock (_lock)
        {
            if (_suspended)
                return;
            _overflowed = true;
            _settle!.Change(settleTime, Timeout.InfiniteTimeSpan);
        }
    }

    private void Settled()
    {
        lock (_lock)
        {
            if (_suspended || (_paths.Count == 0 && !_overflowed))
                return;
            _ready = true;
            _signal.TrySetResult();
        }
    }

    private void ClearLocked()
    {
        _paths.Clear();
        _seen.Clear();
        _more = 0;
        _overflowed = false;
        _ready = false;
        _settle?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_signal.Task.IsCompleted)
            _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One line per path, at most <see cref="MaxLoggedPaths"/>, then one line for the rest.</summary>
    private void LogReport(DriftReport report)
    {
        foreach (var path in report.Paths.Take(MaxLoggedPaths))
            LogLocalChange(logger, path);
        var unlisted = Math.Max(0, report.Paths.Count - MaxLoggedPaths) + report.More;
        if (unlisted > 0)
            LogMoreLocalChanges(logger, unlisted);
        if (report.Overflowed)
            LogOverflowed(logger);
    }

    private const int MaxLoggedPaths = 20;

    [LoggerMessage(LogLevel.Information, "Watching the replica {ReplicaDir} for local changes, to put back the master's state")]
    private static partial void LogWatching(ILogger logger, string replicaDir);

    [LoggerMessage(LogLevel.Information, "Local change to {Path} in the replica: putting back the master's version")]
    private static partial void LogLocalChange(ILogger logger, string path);

    [LoggerMessage(LogLevel.Information, "{Count} more local changes in the replica: putting back the master's versions")]
    private static partial void LogMoreLocalChanges(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Missed local changes in the replica (too many at once): checking the whole replica against the master")]
    private static partial void LogOverflowed(ILogger logger);

}

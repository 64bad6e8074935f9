using System.Runtime.InteropServices;
using Dlopbox.FileSystem;
using Dlopbox.FileSystem.Inotify;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.Sources.Inotify;

/// <summary>
/// Watches the master dir with inotify, one watch per directory, on a dedicated thread: poll(2) with a short
/// timeout (so a stop is noticed, and woken in time for the nearest deadline of the <see cref="WriteQuietTracker"/>),
/// read(2) everything the kernel has queued, interpret it, and release the resulting ops to
/// <see cref="PendingChanges"/> at once, without any debounce. Queue overflow leads to a
/// full rescan; running out of watches (ENOSPC) to periodic rescans, so nothing is ever silently lost.
/// </summary>
internal sealed partial class InotifyWatcher : IChangeSource, IWatchHost
{
    private const int ReadBufferSize = 256 * 1024;

    /// <summary>
    /// What every directory watch asks for. Content is reported on CloseWrite or MovedTo; Modify and
    /// Create only start a wait for the file to go quiet (see WriteQuietTracker), Create also watches new
    /// dirs at once; Attrib reports chmod and touch.
    /// </summary>
    private const InotifyMask DirectoryWatch = InotifyMask.Modify | InotifyMask.Attrib | InotifyMask.CloseWrite
        | InotifyMask.Create | InotifyMask.Delete | InotifyMask.MovedFrom | InotifyMask.MovedTo | InotifyMask.DeleteSelf
        | InotifyMask.MoveSelf | InotifyMask.OnlyDir | InotifyMask.DontFollow | InotifyMask.ExcludeUnlinked;
    private const int IdlePollMs = 100;

    /// <summary>How long an IN_MOVED_FROM at the end of a read waits for its IN_MOVED_TO.</summary>
    private const int MovePairingWindowMs = 5;

    private readonly PendingChanges _pending;
    private readonly TreeScanner _scanner;
    private readonly WatcherState _state;
    private readonly ILogger<InotifyWatcher> _logger;
    private readonly WatchTable _watches = new();
    private readonly HeldChanges _held = new();
    private readonly WriteQuietTracker _writes;
    private readonly InotifyEventInterpreter _interpreter;
    private readonly TimeSpan? _rescanInterval;
    private readonly TimeSpan _degradedRescanInterval;
    private readonly InotifyFd _fd = new();
    private bool _watchLimitReached;
    private readonly TimeProvider _time;
    private long _lastRescanTimestamp;

    public InotifyWatcher(PendingChanges pending, TreeScanner scanner, WatcherState state, IOptions<WatcherOptions> options,
        ILogger<InotifyWatcher> logger, TimeProvider time)
    {
        _pending = pending;
        _scanner = scanner;
        _state = state;
        _logger = logger;
        var o = options.Value;
        _time = time;
        _writes = new WriteQuietTracker(_time, o.CreateSettleTime, o.QuietPeriod, o.MaxWriteDelay);
        _interpreter = new InotifyEventInterpreter(_watches, this, _writes, logger);
        _rescanInterval = options.Value.RescanInterval is { } interval && interval > TimeSpan.Zero ? interval : null;
        _degradedRescanInterval = options.Value.PollInterval;
    }

    /// <summary>Number of directories watched now.</summary>
    public int WatchCount => _watches.Count;

    public Task<TreeCount> StartAsync(CancellationToken cancellationToken)
    {
        _fd.Open();
        if (!TryAddWatch("", out _))
            throw new IOException($"Cannot watch the master dir {_scanner.Root}.");
        var count = WatchBelow("", held: null, cancellationToken);
        _lastRescanTimestamp = _time.GetTimestamp();
        return Task.FromResult(count);
    }

    public Task RunAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => ReadLoop(stoppingToken), stoppingToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void ReadLoop(CancellationToken stoppingToken)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReadBufferSize, pinned: true);
        var events = new List<InotifyEvent>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_fd.WaitReadable(WaitMs()))
                {
                    // Drain what the kernel has queued, one read(2) at a time (pairing counts reads).
                    while (_fd.ReadOnce(buffer, events))
                    {
                        foreach (var e in events)
                            _interpreter.Interpret(e, _held);
                        events.Clear();
                        _interpreter.EndRead(_held);
                    }
                }
                else
                {
                    _interpreter.ExpireUnpairedMoves(_held);
                }
                _writes.TakeDue(_held);
                RescanWhenDue();
                Release();
            }
        }
        finally
        {
            _fd.Dispose();
        }
    }

    /// <summary>
    /// How long poll(2) may wait: the move pairing window (a timeout ends it, so it is never cut short; a
    /// deadline is at most that late), else up to the tracker's nearest deadline.
    /// </summary>
    private int WaitMs()
    {
        if (_interpreter.HasUnpairedMoves)
            return MovePairingWindowMs;
        return _writes.UntilNextDue() is { } due ? (int)Math.Min(IdlePollMs, Math.Ceiling(due.TotalMilliseconds)) : IdlePollMs;
    }

    /// <summary>Hands the resolved ops to <see cref="PendingChanges"/>; this is the flush, no timer involved.</summary>
    private void Release()
    {
        if (_held.Count > 0)
            _pending.EnqueueRange(_held.TakeResolved());
    }

    private void RescanWhenDue()
    {
        var interval = _watchLimitReached ? _degradedRescanInterval : _rescanInterval;
        if (interval is null || _time.GetElapsedTime(_lastRescanTimestamp) < interval)
            return;
        _lastRescanTimestamp = _time.GetTimestamp();
        if (!_watchLimitReached)
            EnsureWatched("", _held); // the safety net covers watches, too
        _held.Add(ChangeOp.Rescan.Instance);
    }

    void IWatchHost.AddTree(string path, HeldChanges held)
    {
        // Watch first, then list: whatever is created in it from now on has its own event.
        TryAddWatch(path, out _);
        held.Add(new ChangeOp.Dirty(path));
        WatchBelow(path, held, CancellationToken.None);
    }

    private void EnsureWatched(string path, HeldChanges held)
    {
        var dirs = new Stack<string>();
        dirs.Push(path);
        while (dirs.TryPop(out var dir))
        {
            if (!_watches.IsWatched(dir))
            {
                ((IWatchHost)this).AddTree(dir, held);
                continue;
            }
            foreach (var subdir in _scanner.ListSubdirs(dir))
                dirs.Push(subdir);
        }
    }

    void IWatchHost.RemoveTree(string path)
    {
        foreach (var wd in _watches.RemoveTree(path))
            _fd.RemoveWatch(wd); // the watch stays on the inode, which now lives outside the tree
    }

    void IWatchHost.Resync(HeldChanges held)
    {
        LogQueueOverflow(_logger);
        var stale = _watches.AllDescriptors();
        _watches.Clear();
        TryAddWatch("", out _);
        WatchBelow("", held: null, CancellationToken.None);
        // inotify_add_watch returns the existing descriptor for a dir already watched: only the others go.
        foreach (var wd in stale.Where(wd => !_watches.TryGetPath(wd, out _)))
            _fd.RemoveWatch(wd);
        held.Add(ChangeOp.Rescan.Instance);
    }

    void IWatchHost.RootLost(InotifyMask mask) => LogRootLost(_logger, _scanner.Root, mask);

    bool IWatchHost.TryLstat(string path, out FileStatus status)
    {
        try
        {
            return FileStatus.TryLstat(_scanner.FullPath(path), out status);
        }
        catch (IOException)
        {
            status = default;
            return false; // unreachable now; the rescan looks again
        }
    }

    /// <summary>Watches every dir below <paramref name="path"/>; adds a Dirty for every entry when <paramref name="held"/> is given.</summary>
    private TreeCount WatchBelow(string path, HeldChanges? held, CancellationToken cancellationToken)
    {
        int dirs = 0, files = 0;
        foreach (var entry in _scanner.Walk(path))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.Disk.IsDir)
            {
                dirs++;
                TryAddWatch(entry.Path, out _);
            }
            else
            {
                files++;
            }
            held?.Add(new ChangeOp.Dirty(entry.Path));
        }
        return new TreeCount(dirs, files);
    }

    private bool TryAddWatch(string path, out int wd)
    {
        wd = -1;
        if (_watchLimitReached)
            return false;
        wd = _fd.AddWatch(_scanner.FullPath(path), DirectoryWatch, out var errno);
        if (wd >= 0)
        {
            _watches.Add(wd, path);
            return true;
        }
        switch (errno)
        {
            case Errno.ENOSPC:
                _watchLimitReached = true;
                _state.MarkWatchLimitReached();
                LogWatchLimitReached(_logger, _watches.Count, _degradedRescanInterval);
                break;
            case Errno.ENOENT or Errno.ENOTDIR:
                break; // gone or replaced (or a symlink) since it was listed; its own event explains it
            default:
                LogCannotWatch(_logger, path, Marshal.GetPInvokeErrorMessage(errno));
                break;
        }
        return false;
    }

    public void Dispose() => _fd.Dispose();

    [LoggerMessage(LogLevel.Error,
        "inotify watch limit reached after {Watches} watches: raise fs.inotify.max_user_watches (e.g. `sysctl fs.inotify.max_user_watches=524288`). "
        + "Until restarted, changes are found by full rescans every {Interval}")]
    private static partial void LogWatchLimitReached(ILogger logger, int watches, TimeSpan interval);

    [LoggerMessage(LogLevel.Warning, "inotify queue overflowed (events were dropped): rescanning the whole tree")]
    private static partial void LogQueueOverflow(ILogger logger);

    [LoggerMessage(LogLevel.Error, "The master dir {MasterDir} itself was removed or moved ({Mask}); nothing more can be watched there")]
    private static partial void LogRootLost(ILogger logger, string masterDir, InotifyMask mask);

    [LoggerMessage(LogLevel.Warning, "Cannot watch {Path}: {Reason}; periodic rescans will catch its changes")]
    private static partial void LogCannotWatch(ILogger logger, string path, string reason);
}

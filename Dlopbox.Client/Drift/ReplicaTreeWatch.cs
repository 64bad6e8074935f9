using System.Runtime.InteropServices;
using System.Text;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.FileSystem.Inotify;

namespace Dlopbox.Client.Drift;

/// <summary>
/// Watches every dir of the replica with inotify, on a thread of its own, and reports each path that changed
/// (a wire path) to <c>changed</c>, or <c>overflowed</c> when the kernel dropped events.
/// Most events in a replica are the client's own downloads, and most of those concern its temp files, so names
/// with the reserved prefix are dropped on their raw bytes before any string exists, dirs with such names are
/// never watched, and the thread wakes once per batch of events rather than once per event.
/// </summary>
internal sealed partial class ReplicaTreeWatch(string root, Action<string> changed, Action overflowed, ILogger logger) : IDisposable
{
    /// <summary>
    /// Content (Modify), chmod and touch (Attrib), and names. No CloseWrite: a write already said Modify.
    /// Never through a link (DontFollow), never a file (OnlyDir).
    /// </summary>
    private const InotifyMask DirectoryWatch = InotifyMask.Modify | InotifyMask.Attrib | InotifyMask.Create
        | InotifyMask.Delete | InotifyMask.MovedFrom | InotifyMask.MovedTo | InotifyMask.OnlyDir
        | InotifyMask.DontFollow | InotifyMask.ExcludeUnlinked;

    private const int ReadBufferSize = 64 * 1024;
    private const int StopPollMs = 250;

    /// <summary>
    /// How long the thread lets events gather once the first arrives. Drift is only acted on after a settle time
    /// of seconds, so this costs nothing that matters, and it turns a burst of downloads into a few reads.
    /// </summary>
    private static readonly TimeSpan BatchDelay = TimeSpan.FromMilliseconds(20);

    private static readonly byte[] ReservedPrefix = Encoding.UTF8.GetBytes(WireNames.ReservedNamePrefix);

    private readonly string _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    private readonly InotifyFd _fd = new();
    private readonly WatchTable _watches = new();

    /// <summary>Dirs moved away in this batch, by cookie: a move within the replica pairs them with their new name.</summary>
    private readonly Dictionary<uint, string> _movedAway = [];

    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private bool _watchLimitLogged;

    public void Start()
    {
        _fd.Open();
        AddTree("");
        _thread = new Thread(ReadLoop) { IsBackground = true, Name = "replica drift watch" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread is null || !_thread.Join(TimeSpan.FromSeconds(2)))
            _fd.Dispose(); // never started (or stuck): the thread closes the fd itself otherwise
        _stop.Dispose();
    }

    private void ReadLoop()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReadBufferSize, pinned: true);
        var events = new List<InotifyEvent>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (!_fd.WaitReadable(StopPollMs))
                    continue;
                if (_stop.Token.WaitHandle.WaitOne(BatchDelay))
                    break;
                while (_fd.ReadOnce(buffer, events, IsReservedName))
                {
                    foreach (var e in events)
                        Handle(e);
                    events.Clear();
                }
                EndBatch();
            }
        }
        catch (IOException exception)
        {
            LogReadFailed(logger, exception);
            overflowed();
        }
        finally
        {
            _fd.Dispose();
        }
    }

    private static bool IsReservedName(ReadOnlySpan<byte> name) => name.StartsWith(ReservedPrefix);

    private void Handle(InotifyEvent e)
    {
        if (e.Has(InotifyMask.QueueOverflow))
        {
            AddTree(""); // dirs made while events were lost have no watch yet; watched ones keep theirs
            overflowed();
            return;
        }
        if (e.Has(InotifyMask.Ignored))
        {
            _watches.Forget(e.Wd);
            return;
        }
        if (!_watches.TryGetPath(e.Wd, out var dir))
            return;
        if (e.HasUndecodableName)
        {
            overflowed(); // not a wire path: only a look at the whole replica can put it right
            return;
        }
        if (e.Name is null)
            return; // the watched dir itself; its parent's watch reports it by name
        var path = PathRules.Combine(dir, e.Name);
        if (e.IsDir)
            FollowDir(e, path);
        changed(path);
    }

    /// <summary>Keeps the watches in step with the dirs: new ones watched, moved ones renamed, moved-out ones dropped.</summary>
    private void FollowDir(InotifyEvent e, string path)
    {
        if (e.Has(InotifyMask.MovedFrom))
        {
            _movedAway[e.Cookie] = path;
        }
        else if (e.Has(InotifyMask.MovedTo) && _movedAway.Remove(e.Cookie, out var from))
        {
            _watches.MoveTree(from, path);
        }
        else if (e.Has(InotifyMask.Create) || e.Has(InotifyMask.MovedTo))
        {
            AddTree(path);
        }
    }

    /// <summary>A dir moved away with no new name in the replica left it: its watches go.</summary>
    private void EndBatch()
    {
        foreach (var path in _movedAway.Values)
        {
            foreach (var wd in _watches.RemoveTree(path))
                _fd.RemoveWatch(wd);
        }
        _movedAway.Clear();
    }

    /// <summary>Watches <paramref name="path"/> and every dir below it (a watch first, then the listing, so nothing made meanwhile is missed).</summary>
    private void AddTree(string path)
    {
        var dirs = new Stack<string>();
        dirs.Push(path);
        while (dirs.TryPop(out var dir))
        {
            if (dir.Length > 0 && PathRules.IsReserved(dir))
                continue;
            var full = dir.Length == 0 ? _root : Path.Combine(_root, dir);
            var wd = _fd.AddWatch(full, DirectoryWatch, out var errno);
            if (wd < 0)
            {
                NotWatched(dir, errno);
                continue;
            }
            _watches.Add(wd, dir);
            try
            {
                foreach (var sub in Directory.EnumerateDirectories(full))
                    dirs.Push(PathRules.Combine(dir, Path.GetFileName(sub)));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone or replaced since it was watched: its parent's event says so.
            }
        }
    }

    private void NotWatched(string dir, int errno)
    {
        switch (errno)
        {
            case Errno.ENOENT or Errno.ENOTDIR:
                return; // gone, or a symlink (never followed)
            case Errno.ENOSPC:
                if (!_watchLimitLogged)
                    LogWatchLimit(logger, dir);
                _watchLimitLogged = true;
                return;
            default:
                LogCannotWatch(logger, dir, Marshal.GetPInvokeErrorMessage(errno));
                return;
        }
    }

    [LoggerMessage(LogLevel.Warning, "inotify watch limit reached in the replica at {Path}: local changes below unwatched dirs are put back only by the next full reconcile; raise fs.inotify.max_user_watches")]
    private static partial void LogWatchLimit(ILogger logger, string path);

    [LoggerMessage(LogLevel.Warning, "Cannot watch {Path} in the replica for local changes: {Reason}")]
    private static partial void LogCannotWatch(ILogger logger, string path, string reason);

    [LoggerMessage(LogLevel.Error, "Reading the replica's inotify events failed; local changes are no longer watched")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}

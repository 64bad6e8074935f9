using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.FileSystem.Inotify;
using Dlopbox.Watcher.Changes;

namespace Dlopbox.Watcher.Sources.Inotify;

/// <summary>The side effects an interpreted event needs from the inotify fd and the disk.</summary>
internal interface IWatchHost
{
    /// <summary>A dir appeared in the tree (created, or moved in): watch it and all below it, and add a Dirty for each.</summary>
    void AddTree(string path, HeldChanges held);

    /// <summary>A watched dir left the tree: stop watching it and all below it.</summary>
    void RemoveTree(string path);

    /// <summary>The kernel dropped events: rebuild the watches and add a Rescan.</summary>
    void Resync(HeldChanges held);

    /// <summary>The master dir itself was deleted or moved.</summary>
    void RootLost(InotifyMask mask);

    /// <summary>lstat of a path in the tree; false when it is gone.</summary>
    bool TryLstat(string path, out FileStatus status);
}

/// <summary>
/// Turns inotify events into <see cref="ChangeOp"/>s. IN_MOVED_FROM and IN_MOVED_TO pair by cookie into a
/// move; a MOVED_FROM not paired within its own read or the next one moved out of the tree (a delete); a
/// MOVED_TO without a MOVED_FROM moved in (a create of all it holds). Content is reported on IN_CLOSE_WRITE;
/// files that never get one (written by a process that keeps them open, hard-linked in, linkat'd) are left
/// to the <see cref="WriteQuietTracker"/>. Used by one thread.
/// </summary>
internal sealed partial class InotifyEventInterpreter(WatchTable watches, IWatchHost host, WriteQuietTracker writes, ILogger logger)
{
    private sealed class UnpairedMove(uint cookie, string path, bool isDir, long slot)
    {
        public uint Cookie { get; } = cookie;
        public string Path { get; } = path;
        public bool IsDir { get; } = isDir;
        public long Slot { get; } = slot;

        /// <summary>Set at the end of the read that saw it: one more read, and it is a move out.</summary>
        public bool HadItsRead { get; set; }
    }

    private readonly List<UnpairedMove> _unpaired = [];

    public bool HasUnpairedMoves => _unpaired.Count > 0;

    public void Interpret(InotifyEvent e, HeldChanges held)
    {
        if (e.Has(InotifyMask.QueueOverflow))
        {
            ExpireUnpairedMoves(held);
            host.Resync(held);
            return;
        }
        if (e.Has(InotifyMask.Ignored))
        {
            watches.Forget(e.Wd);
            return;
        }
        if (!watches.TryGetPath(e.Wd, out var dir))
            return; // a watch already dropped (dir moved out or deleted); its last events do not matter
        if (e.Has(InotifyMask.DeleteSelf | InotifyMask.MoveSelf))
        {
            // Sub-dirs are reported by their parent's IN_DELETE / IN_MOVED_*; only the root has no parent watched.
            if (watches.IsRoot(e.Wd))
                host.RootLost(e.Mask);
            return;
        }
        if (e.HasUndecodableName)
        {
            LogUndecodableName(logger, PathRules.Combine(dir, e.RawName!));
            return;
        }
        if (e.Name is not { } name)
            return;

        var path = PathRules.Combine(dir, name);
        if (PathRules.Check(path) is { } problem)
        {
            LogInvalidPath(logger, path, problem);
            return;
        }
        if (PathRules.IsReserved(path))
            return; // dlopbox's own files; a move from one into the tree is a move in

        if (e.Has(InotifyMask.MovedFrom))
            _unpaired.Add(new UnpairedMove(e.Cookie, path, e.IsDir, held.Reserve()));
        else if (e.Has(InotifyMask.MovedTo))
            MovedTo(e, path, held);
        else if (e.Has(InotifyMask.Modify))
            writes.Modified(path); // the hot path of a write burst: a dictionary update, nothing more
        else if (e.Has(InotifyMask.CloseWrite))
        {
            writes.Closed(path);
            held.Add(new ChangeOp.Dirty(path, Force: true));
        }
        else if (e.Has(InotifyMask.Delete))
        {
            writes.Deleted(path, e.IsDir);
            held.Add(new ChangeOp.Delete(path));
        }
        else if (e.Has(InotifyMask.Create))
            Created(e, path, held);
        else if (e.Has(InotifyMask.Attrib) && !writes.IsTracked(path))
            held.Add(new ChangeOp.Dirty(path)); // chmod, touch, link count: the emitter compares mode, mtime, ctime
    }

    /// <summary>
    /// IN_CREATE. A symlink is complete at once, and so is a file with more than one link (link(2): git's
    /// objects, cp -al). Any other file is being written, or was linkat'd from an O_TMPFILE: the tracker
    /// sends it after the settle time unless a write or a close says more.
    /// </summary>
    private void Created(InotifyEvent e, string path, HeldChanges held)
    {
        if (e.IsDir)
        {
            host.AddTree(path, held);
            return;
        }
        if (!host.TryLstat(path, out var status))
            return; // gone already: its IN_DELETE or IN_MOVED_FROM follows
        switch (status.Kind)
        {
            case EntryKind.Symlink:
                held.Add(new ChangeOp.Dirty(path));
                break;
            case EntryKind.File when status.LinkCount > 1:
                held.Add(new ChangeOp.Dirty(path, Force: true));
                break;
            case EntryKind.File:
                writes.Created(path);
                break;
        }
    }

    /// <summary>Ends one read(2): moves from an earlier read still unpaired are moves out of the tree.</summary>
    public void EndRead(HeldChanges held)
    {
        for (var i = 0; i < _unpaired.Count;)
        {
            var move = _unpaired[i];
            if (move.HadItsRead)
            {
                _unpaired.RemoveAt(i);
                MovedOut(move, held);
            }
            else
            {
                move.HadItsRead = true;
                i++;
            }
        }
    }

    /// <summary>No more events came within the pairing window: every unpaired move left the tree.</summary>
    public void ExpireUnpairedMoves(HeldChanges held)
    {
        foreach (var move in _unpaired)
            MovedOut(move, held);
        _unpaired.Clear();
    }

    private void MovedTo(InotifyEvent e, string path, HeldChanges held)
    {
        var index = _unpaired.FindIndex(m => m.Cookie == e.Cookie);
        if (index < 0)
        {
            // Moved in from outside the tree (or from a name we skip): everything under it is new.
            writes.Deleted(path, e.IsDir);
            if (e.IsDir)
                host.AddTree(path, held);
            else
                held.Add(new ChangeOp.Dirty(path, Force: true));
            return;
        }
        var from = _unpaired[index];
        _unpaired.RemoveAt(index);
        writes.Moved(from.Path, path, from.IsDir);
        held.Resolve(from.Slot, null);
        held.Add(new ChangeOp.Move(from.Path, path));
        if (from.IsDir)
        {
            watches.MoveTree(from.Path, path);
            // Look at the whole moved subtree again, not only at dirs without a watch: a scan of a new dir
            // that ran at its old path after the rename found nothing there. Entries the downstream already
            // knows pass the size+mtime check and cost only an lstat; the missed ones are sent.
            host.AddTree(path, held);
        }
    }

    private void MovedOut(UnpairedMove move, HeldChanges held)
    {
        writes.Deleted(move.Path, move.IsDir);
        held.Resolve(move.Slot, new ChangeOp.Delete(move.Path));
        if (move.IsDir)
            host.RemoveTree(move.Path);
    }

    [LoggerMessage(LogLevel.Warning, "Skipping {Path}: its name is not valid UTF-8")]
    private static partial void LogUndecodableName(ILogger logger, string path);

    [LoggerMessage(LogLevel.Warning, "Skipping {Path}: it {Problem}")]
    private static partial void LogInvalidPath(ILogger logger, string path, string problem);
}

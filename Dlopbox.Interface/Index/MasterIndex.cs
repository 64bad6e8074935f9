using Dlopbox.Contracts;

namespace Dlopbox.Interface.Index;

/// <summary>
/// The current tree of the master as told by the stream: path → entry, plus the offset of the last
/// message applied, and the epoch of the stream those offsets belong to. A <see cref="Snapshot"/> taken from it
/// is consistent at that offset of that epoch.
/// </summary>
public sealed class MasterIndex
{
    private readonly Lock _lock = new();
    private readonly PathIndex<SnapshotEntry> _entries = new();
    private long _offset = -1;
    private string? _epoch;

    /// <summary>The stream epoch the offsets are of; null for a stream written before epochs (or none known yet).</summary>
    public string? Epoch
    {
        get
        {
            lock (_lock)
                return _epoch;
        }
    }

    public long Offset
    {
        get
        {
            lock (_lock)
                return _offset;
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    public Snapshot TakeSnapshot()
    {
        lock (_lock)
            return new Snapshot(_offset, _entries.All().Select(e => e.Value).ToList(), _epoch);
    }

    /// <summary>Replaces the whole index with <paramref name="snapshot"/> (e.g. the event log's, at start).</summary>
    public void Load(Snapshot snapshot)
    {
        lock (_lock)
        {
            _entries.Clear();
            foreach (var entry in snapshot.Entries)
                _entries.Set(entry.Path, entry);
            _offset = snapshot.Offset;
            _epoch = snapshot.Epoch;
        }
    }

    /// <summary>
    /// Empties the index for a new stream of <paramref name="epoch"/>: its offsets start again at 0, so nothing
    /// known from the old one holds (the watcher sends the master again).
    /// </summary>
    public void Reset(string? epoch)
    {
        lock (_lock)
        {
            _entries.Clear();
            _offset = -1;
            _epoch = epoch;
        }
    }

    public bool TryGet(string path, out SnapshotEntry entry)
    {
        lock (_lock)
            return _entries.TryGet(path, out entry);
    }

    /// <summary>
    /// Applies the change carried by the stream message at <paramref name="offset"/>. Messages at or before
    /// the current offset are ignored. <paramref name="touched"/>, when given, receives every path whose
    /// entry may have changed, so that a copy of the index elsewhere can be updated path by path.
    /// </summary>
    public void Apply(long offset, FileChange change, ISet<string>? touched = null)
    {
        lock (_lock)
        {
            if (offset <= _offset)
                return;
            _offset = offset;
            if (touched is not null)
                CollectTouched(change, touched);
            ApplyLocked(offset, change);
            if (touched is not null)
                CollectTouched(change, touched);
        }
    }

    private void CollectTouched(FileChange change, ISet<string> touched)
    {
        foreach (var (key, _) in _entries.Subtree(change.Path))
            touched.Add(key);
        if (change.OldPath is { } oldPath)
        {
            foreach (var (key, _) in _entries.Subtree(oldPath))
                touched.Add(key);
        }
        for (var path = change.Path; path is not null; path = PathRules.Parent(path))
            touched.Add(path);
    }

    private void ApplyLocked(long offset, FileChange change)
    {
        switch (change.Kind)
        {
            case ChangeKind.Write:
                ReplaceWith(change.Path, FileEntry(change.Path, change, offset));
                break;
            case ChangeKind.Mkdir:
                if (!(_entries.TryGet(change.Path, out var existing) && existing.IsDir))
                    ReplaceWith(change.Path, DirEntry(change.Path, change.Mode, offset));
                else if (change.Mode is { } mode && existing.Mode != mode)
                    _entries.Set(change.Path, existing with { Mode = mode, Offset = offset });
                break;
            case ChangeKind.Symlink:
                ReplaceWith(change.Path, SymlinkEntry(change.Path, change, offset));
                break;
            case ChangeKind.Attrib when _entries.TryGet(change.Path, out var current) && current.IsDir == change.IsDir && !current.IsSymlink:
                // Directories keep no mtime in the index (it changes with every entry added below them).
                _entries.Set(change.Path, current with
                {
                    Mode = change.Mode ?? current.Mode,
                    Mtime = current.IsDir ? null : change.Mtime ?? current.Mtime,
                    Offset = offset,
                });
                break;
            case ChangeKind.Attrib:
                break; // of something the index does not have (or has as another kind): a later event says what it is
            case ChangeKind.Delete:
                _entries.RemoveTree(change.Path);
                break;
            case ChangeKind.Move when change.OldPath is { } oldPath && _entries.Contains(oldPath):
                AddMissingParents(change.Path, offset);
                _entries.MoveTree(oldPath, change.Path);
                _entries.TryGet(change.Path, out var moved);
                _entries.Set(change.Path, moved with { Path = change.Path, Offset = offset });
                RebaseDescendants(change.Path);
                break;
            case ChangeKind.Move:
                // The source was never seen (it cannot happen with one watcher); keep what we can know.
                ReplaceWith(change.Path, change.IsDir ? DirEntry(change.Path, change.Mode, offset)
                    : change.Target is not null ? SymlinkEntry(change.Path, change, offset)
                    : FileEntry(change.Path, change, offset));
                break;
        }
    }

    private void ReplaceWith(string path, SnapshotEntry entry)
    {
        _entries.RemoveTree(path);
        AddMissingParents(path, entry.Offset);
        _entries.Set(path, entry);
    }

    private void RebaseDescendants(string path)
    {
        foreach (var (key, value) in _entries.Subtree(path).ToList())
        {
            if (!string.Equals(key, value.Path, StringComparison.Ordinal))
                _entries.Set(key, value with { Path = key });
        }
    }

    /// <summary>Makes every ancestor a dir entry (a file in the way is replaced). Call before adding below it.</summary>
    private void AddMissingParents(string path, long offset)
    {
        for (var parent = PathRules.Parent(path); parent is not null; parent = PathRules.Parent(parent))
        {
            if (_entries.TryGet(parent, out var entry))
            {
                if (entry.IsDir)
                    return;
                _entries.RemoveTree(parent); // a file in the way: it has no subtree of its own
            }
            _entries.Set(parent, DirEntry(parent, mode: null, offset));
        }
    }

    private static SnapshotEntry FileEntry(string path, FileChange change, long offset) => new()
    {
        Path = path,
        Size = change.Size ?? 0,
        Mtime = change.Mtime,
        Sha256 = change.Sha256,
        Mode = change.Mode,
        Offset = offset,
    };

    private static SnapshotEntry SymlinkEntry(string path, FileChange change, long offset) => new()
    {
        Path = path,
        Mtime = change.Mtime,
        Target = change.Target,
        Offset = offset,
    };

    private static SnapshotEntry DirEntry(string path, int? mode, long offset) =>
        new() { Path = path, IsDir = true, Mode = mode, Offset = offset };
}

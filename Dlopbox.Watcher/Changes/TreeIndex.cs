using Dlopbox.Contracts;
using Dlopbox.FileSystem;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// What downstream knows about one path: a file (size, mtime, hash, mode), a directory (mode) or a symlink
/// (target, mtime). <see cref="Mode"/> null means unknown (a state saved before modes were sent).
/// </summary>
internal sealed record IndexEntry(EntryKind Kind, long Size, FileTime Mtime, string? Sha256, int? Mode = null, string? Target = null)
{
    public static readonly IndexEntry Directory = new(EntryKind.Directory, 0, default, null);

    /// <summary>
    /// Watcher-local, never on the wire: the inode and ctime the emitter saw when it last looked at the
    /// path (0 / null: unknown). They change on a rename over the path and on any write or chmod, so a
    /// rescan notices what keeps size and mtime without hashing everything.
    /// </summary>
    public ulong Inode { get; init; }

    public FileTime? Ctime { get; init; }

    /// <summary>
    /// Watcher-local: downstream had this, but the stream that told it is gone (a new epoch). The emitter
    /// tells it again when it sees the path (reusing the hash while the stamps agree) or deletes it if gone.
    /// </summary>
    public bool Unsent { get; init; }

    public bool IsDir => Kind == EntryKind.Directory;

    public bool IsFile => Kind == EntryKind.File;

    public bool IsSymlink => Kind == EntryKind.Symlink;

    /// <summary>Everything downstream knows is equal (the watcher-local inode and ctime aside).</summary>
    public bool SameContent(IndexEntry other) =>
        Kind == other.Kind && Size == other.Size && Mtime == other.Mtime && Sha256 == other.Sha256 && Mode == other.Mode
        && Target == other.Target;

    /// <summary>Known inode and ctime that differ from <paramref name="disk"/>'s; false while unknown.</summary>
    public bool StampDiffers(in FileStatus disk) => Inode != 0 && (Inode != disk.Inode || Ctime != disk.Ctime);

    public static IndexEntry File(long size, FileTime mtime, string sha256, int? mode = null) =>
        new(EntryKind.File, size, mtime, sha256, mode);

    public static IndexEntry Dir(int? mode) => mode is null ? Directory : Directory with { Mode = mode };

    public static IndexEntry Symlink(string target, FileTime mtime) => new(EntryKind.Symlink, 0, mtime, null, null, target);
}

/// <summary>
/// The master tree as a list of <see cref="FileChange"/>s leaves it downstream: the emitter keeps one of
/// what it has told, the pipeline one of what the Interface acknowledged (the one persisted). Not thread-safe.
/// </summary>
internal sealed class TreeIndex
{
    private readonly PathIndex<IndexEntry> _entries = new();

    public int Count => _entries.Count;

    public bool TryGet(string path, out IndexEntry entry) => _entries.TryGet(path, out entry);

    public IEnumerable<KeyValuePair<string, IndexEntry>> All() => _entries.All();

    public IEnumerable<KeyValuePair<string, IndexEntry>> Subtree(string path) => _entries.Subtree(path);

    public void Set(string path, IndexEntry entry) => _entries.Set(path, entry);

    /// <summary>Records the inode and ctime the disk showed for what <paramref name="path"/> holds downstream.</summary>
    public void SetStamp(string path, in FileStatus disk)
    {
        if (_entries.TryGet(path, out var entry) && (entry.Inode != disk.Inode || entry.Ctime != disk.Ctime))
            _entries.Set(path, entry with { Inode = disk.Inode, Ctime = disk.Ctime });
    }

    /// <summary>
    /// Takes the inode and ctime from <paramref name="source"/> (the emitter's index) for every entry whose
    /// content is the same there: <see cref="Apply"/> cannot know them, only the emitter saw the disk.
    /// </summary>
    public void AdoptStamps(TreeIndex source)
    {
        List<KeyValuePair<string, IndexEntry>>? updates = null;
        foreach (var (path, entry) in _entries.All())
        {
            if (source.TryGet(path, out var other) && (other.Inode != entry.Inode || other.Ctime != entry.Ctime)
                && other.SameContent(entry))
                (updates ??= []).Add(new(path, entry with { Inode = other.Inode, Ctime = other.Ctime }));
        }
        foreach (var (path, entry) in updates ?? [])
            _entries.Set(path, entry);
    }

    /// <summary>Updates the index the way a replica applying <paramref name="change"/> updates its tree.</summary>
    public void Apply(FileChange change)
    {
        switch (change.Kind)
        {
            case ChangeKind.Write:
                _entries.RemoveTree(change.Path);
                _entries.Set(change.Path, IndexEntry.File(change.Size ?? 0, change.Mtime ?? default, change.Sha256 ?? "", change.Mode));
                break;
            case ChangeKind.Mkdir:
                if (_entries.TryGet(change.Path, out var existing) && existing.IsDir)
                {
                    // A dir told again keeps its entries (which may still be unsent themselves).
                    if (change.Mode is not null || existing.Unsent)
                        _entries.Set(change.Path, existing with { Mode = change.Mode ?? existing.Mode, Unsent = false });
                }
                else
                {
                    _entries.RemoveTree(change.Path);
                    _entries.Set(change.Path, IndexEntry.Dir(change.Mode));
                }
                break;
            case ChangeKind.Symlink:
                _entries.RemoveTree(change.Path);
                _entries.Set(change.Path, IndexEntry.Symlink(change.Target ?? "", change.Mtime ?? default));
                break;
            case ChangeKind.Attrib:
                if (_entries.TryGet(change.Path, out var entry) && !entry.IsSymlink)
                    _entries.Set(change.Path, entry with { Mode = change.Mode ?? entry.Mode, Mtime = change.Mtime ?? entry.Mtime });
                break;
            case ChangeKind.Delete:
                _entries.RemoveTree(change.Path);
                break;
            case ChangeKind.Move when change.OldPath is { } oldPath:
                _entries.MoveTree(oldPath, change.Path);
                if (change.IsDir)
                    break;
                if (change.Target is { } target)
                    _entries.Set(change.Path, IndexEntry.Symlink(target, change.Mtime ?? default));
                else if (change.Sha256 is { } sha256)
                    _entries.Set(change.Path, IndexEntry.File(change.Size ?? 0, change.Mtime ?? default, sha256, change.Mode));
                break;
        }
    }

    /// <summary>Marks every entry <see cref="IndexEntry.Unsent"/>, except those <paramref name="sent"/> has with the same content.</summary>
    public void MarkUnsentExcept(TreeIndex sent)
    {
        var unsent = _entries.All()
            .Where(e => !(sent.TryGet(e.Key, out var other) && other.SameContent(e.Value)))
            .ToList();
        foreach (var (path, entry) in unsent)
            _entries.Set(path, entry with { Unsent = true });
    }

    public TreeIndex Clone()
    {
        var clone = new TreeIndex();
        foreach (var (path, entry) in _entries.All())
            clone._entries.Set(path, entry);
        return clone;
    }

    public (int Dirs, int Files) CountKinds()
    {
        var dirs = _entries.All().Count(e => e.Value.IsDir);
        return (dirs, _entries.Count - dirs);
    }
}

using Dlopbox.Contracts;

namespace Dlopbox.Watcher.Changes;

/// <summary>What downstream knows about one path. Directories carry no size, mtime nor hash.</summary>
internal sealed record IndexEntry(bool IsDir, long Size, FileTime Mtime, string? Sha256)
{
    public static readonly IndexEntry Directory = new(true, 0, default, null);

    public static IndexEntry File(long size, FileTime mtime, string sha256) => new(false, size, mtime, sha256);
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

    /// <summary>Updates the index the way a replica applying <paramref name="change"/> updates its tree.</summary>
    public void Apply(FileChange change)
    {
        switch (change.Kind)
        {
            case ChangeKind.Write:
                _entries.RemoveTree(change.Path);
                _entries.Set(change.Path, IndexEntry.File(change.Size ?? 0, change.Mtime ?? default, change.Sha256 ?? ""));
                break;
            case ChangeKind.Mkdir:
                if (!(_entries.TryGet(change.Path, out var existing) && existing.IsDir))
                {
                    _entries.RemoveTree(change.Path);
                    _entries.Set(change.Path, IndexEntry.Directory);
                }
                break;
            case ChangeKind.Delete:
                _entries.RemoveTree(change.Path);
                break;
            case ChangeKind.Move when change.OldPath is { } oldPath:
                _entries.MoveTree(oldPath, change.Path);
                if (!change.IsDir && change.Sha256 is { } sha256)
                    _entries.Set(change.Path, IndexEntry.File(change.Size ?? 0, change.Mtime ?? default, sha256));
                break;
        }
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

using Dlopbox.Contracts;

namespace Dlopbox.FileSystem.Inotify;

/// <summary>
/// Which relative dir each inotify watch descriptor stands for ("" is the master dir), kept current when a
/// watched dir moves within the tree (a watch follows the inode, not the name). Used by one thread.
/// </summary>
public sealed class WatchTable
{
    private readonly Dictionary<int, string> _pathByWd = [];
    private readonly PathIndex<int> _wdByPath = new();
    private int _rootWd = -1;

    public int Count => _pathByWd.Count;

    public bool TryGetPath(int wd, out string path) => _pathByWd.TryGetValue(wd, out path!);

    public bool IsRoot(int wd) => wd == _rootWd;

    public bool IsWatched(string path) => path.Length == 0 ? _rootWd >= 0 : _wdByPath.Contains(path);

    public void Add(int wd, string path)
    {
        if (_pathByWd.TryGetValue(wd, out var previous) && previous != path)
            Forget(wd);
        _pathByWd[wd] = path;
        if (path.Length == 0)
            _rootWd = wd;
        else
            _wdByPath.Set(path, wd);
    }

    /// <summary>Drops one watch (IN_IGNORED), keeping the watches of dirs below it.</summary>
    public void Forget(int wd)
    {
        if (!_pathByWd.Remove(wd, out var path))
            return;
        if (path.Length == 0)
        {
            _rootWd = -1;
            return;
        }
        // A newer watch may own the path already (dir deleted and re-created before IN_IGNORED came).
        if (!_wdByPath.TryGet(path, out var current) || current != wd)
            return;
        var below = _wdByPath.Subtree(path).Where(e => e.Key != path).ToList();
        _wdByPath.RemoveTree(path);
        foreach (var (key, value) in below)
            _wdByPath.Set(key, value);
    }

    /// <summary>Drops the watches of <paramref name="path"/> and everything below it; returns their descriptors.</summary>
    public List<int> RemoveTree(string path)
    {
        var wds = _wdByPath.Subtree(path).Select(e => e.Value).ToList();
        _wdByPath.RemoveTree(path);
        foreach (var wd in wds)
            _pathByWd.Remove(wd);
        return wds;
    }

    /// <summary>A watched dir was renamed: its watch and those below it now stand for the new path.</summary>
    public void MoveTree(string oldPath, string newPath)
    {
        foreach (var (_, wd) in _wdByPath.Subtree(newPath).ToList())
            _pathByWd.Remove(wd); // replaced by the move (rename over an empty dir)
        var moving = _wdByPath.Subtree(oldPath).ToList();
        _wdByPath.MoveTree(oldPath, newPath);
        foreach (var (path, wd) in moving)
            _pathByWd[wd] = PathRules.Rebase(path, oldPath, newPath);
    }

    /// <summary>Every watch descriptor, root included.</summary>
    public List<int> AllDescriptors() => [.. _pathByWd.Keys];

    public void Clear()
    {
        _pathByWd.Clear();
        _wdByPath.Clear();
        _rootWd = -1;
    }
}

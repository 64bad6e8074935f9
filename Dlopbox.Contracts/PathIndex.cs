namespace Dlopbox.Contracts;

/// <summary>
/// Entries keyed by relative path, with the subtree operations a directory tree needs (remove a dir
/// with everything under it, move a dir). Keys sort ordinally, so a subtree is one contiguous range.
/// Not thread-safe: callers own the locking.
/// </summary>
public sealed class PathIndex<T>
{
    private readonly Dictionary<string, T> _entries = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _order = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool TryGet(string path, out T value) => _entries.TryGetValue(path, out value!);

    public bool Contains(string path) => _entries.ContainsKey(path);

    public void Set(string path, T value)
    {
        if (_entries.TryAdd(path, value))
            _order.Add(path);
        else
            _entries[path] = value;
    }

    /// <summary>Removes <paramref name="path"/> and everything below it; returns how many entries went.</summary>
    public int RemoveTree(string path)
    {
        var doomed = SubtreeKeys(path).ToList();
        foreach (var key in doomed)
        {
            _entries.Remove(key);
            _order.Remove(key);
        }
        return doomed.Count;
    }

    /// <summary>Re-keys <paramref name="oldPath"/> and its subtree under <paramref name="newPath"/>, replacing what was there.</summary>
    public int MoveTree(string oldPath, string newPath)
    {
        if (string.Equals(oldPath, newPath, StringComparison.Ordinal))
            return 0;
        var moving = SubtreeKeys(oldPath).Select(key => (key, value: _entries[key])).ToList();
        if (moving.Count == 0)
            return 0;
        RemoveTree(oldPath);
        RemoveTree(newPath);
        foreach (var (key, value) in moving)
            Set(PathRules.Rebase(key, oldPath, newPath), value);
        return moving.Count;
    }

    /// <summary><paramref name="path"/> itself (when present) and every entry below it, in path order.</summary>
    public IEnumerable<KeyValuePair<string, T>> Subtree(string path) =>
        SubtreeKeys(path).Select(key => new KeyValuePair<string, T>(key, _entries[key]));

    /// <summary>Every entry in path order.</summary>
    public IEnumerable<KeyValuePair<string, T>> All() =>
        _order.Select(key => new KeyValuePair<string, T>(key, _entries[key]));

    public void Clear()
    {
        _entries.Clear();
        _order.Clear();
    }

    private IEnumerable<string> SubtreeKeys(string path)
    {
        if (_entries.ContainsKey(path))
            yield return path;
        foreach (var key in _order.GetViewBetween(path + "/", path + "/" + PathRules.Sentinel))
            yield return key;
    }
}

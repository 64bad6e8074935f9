using Dlopbox.Contracts;

namespace Dlopbox.Client.Replica;

/// <summary>
/// Files announced by a write (or a snapshot) whose download found nothing at the master: by then they
/// had been deleted, or renamed along with a parent dir. A dir move carries no file contents, so the
/// expected contents are kept here, moved with the dir, and fetched again under their new names.
/// A delete (or a later successful write) forgets them. Thread-safe.
/// </summary>
internal sealed class UnresolvedFiles
{
    private readonly Lock _lock = new();
    private readonly PathIndex<ExpectedContent> _files = new();

    public int Count
    {
        get
        {
            lock (_lock)
                return _files.Count;
        }
    }

    public void Add(string path, ExpectedContent expected)
    {
        lock (_lock)
            _files.Set(path, expected);
    }

    /// <summary>Forgets <paramref name="path"/> and everything below it.</summary>
    public void Remove(string path)
    {
        lock (_lock)
            _files.RemoveTree(path);
    }

    /// <summary>Forgets only <paramref name="path"/> itself (it now is a dir, or was written).</summary>
    public void RemoveExact(string path)
    {
        lock (_lock)
        {
            if (!_files.Contains(path))
                return;
            var below = _files.Subtree(path).Where(entry => entry.Key != path).ToList();
            _files.RemoveTree(path);
            foreach (var (key, value) in below)
                _files.Set(key, value);
        }
    }

    /// <summary>Follows a dir rename; returns what now lies under <paramref name="newPath"/>, to fetch again.</summary>
    public List<KeyValuePair<string, ExpectedContent>> Move(string oldPath, string newPath)
    {
        lock (_lock)
        {
            _files.MoveTree(oldPath, newPath);
            return _files.Subtree(newPath).ToList();
        }
    }

    public void Clear()
    {
        lock (_lock)
            _files.Clear();
    }
}

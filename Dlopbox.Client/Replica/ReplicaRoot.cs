using Dlopbox.Contracts;
using Dlopbox.FileSystem;

namespace Dlopbox.Client.Replica;

/// <summary>A wire path resolved to its parent dir's fd and its last name; disposing closes the fd (unless it is the root's).</summary>
internal sealed class ReplicaEntry(DirectoryHandle parent, bool ownsParent, string name, string path) : IDisposable
{
    public DirectoryHandle Parent { get; } = parent;

    public string Name { get; } = name;

    /// <summary>The wire path, for messages.</summary>
    public string Path { get; } = path;

    /// <summary>The same parent and name, not owning the fd: disposing it leaves the fd to this entry's owner.</summary>
    public ReplicaEntry Borrow() => new(Parent, ownsParent: false, Name, Path);

    public void Dispose()
    {
        if (ownsParent)
            Parent.Dispose();
    }
}

/// <summary>
/// The replica dir's fd, opened once, and the resolution of wire paths under it component by component
/// (openat O_NOFOLLOW per dir). A link in the middle of a path is refused, never followed, so no
/// operation on the result can reach outside the replica, whatever changes on disk between check and use.
/// </summary>
internal sealed class ReplicaRoot(string root) : IDisposable
{
    /// <summary>Retries of one segment when it changes kind under us (created, removed) before giving up.</summary>
    private const int MaxAttempts = 8;

    private readonly Lock _lock = new();
    private DirectoryHandle? _handle;

    public string Root { get; } = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(root));

    /// <summary>Opened on first use: the worker creates the dir at start, after this object exists.</summary>
    public DirectoryHandle Handle
    {
        get
        {
            lock (_lock)
                return _handle ??= DirectoryHandle.Open(Root);
        }
    }

    /// <summary>Throws <see cref="UnsafePathException"/> when the string is malformed or uses a reserved name.</summary>
    public static void CheckString(string? path, bool allowReserved = false)
    {
        PathRules.Validate(path);
        if (!allowReserved && PathRules.IsReserved(path!))
            throw new UnsafePathException(path, "uses a name reserved for dlopbox");
    }

    /// <summary>
    /// Resolves <paramref name="path"/>'s parent dir. With <paramref name="createParents"/>, missing dirs are
    /// created and files in their way removed; without, null when a parent is missing (so is the path).
    /// Throws <see cref="UnsafePathException"/> for a bad string or a symbolic link on the way; reserved names
    /// only pass with <paramref name="allowReserved"/> (the scan's own leftovers, to delete them).
    /// </summary>
    public ReplicaEntry? Open(string? path, bool createParents, bool allowReserved = false)
    {
        CheckString(path, allowReserved);
        var segments = path!.Split('/');
        var current = Handle;
        var owned = false;
        try
        {
            for (var i = 0; i < segments.Length - 1; i++)
            {
                var next = OpenSegment(current, segments[i], path, createParents);
                if (next is null)
                {
                    if (owned)
                        current.Dispose();
                    return null;
                }
                if (owned)
                    current.Dispose();
                current = next;
                owned = true;
            }
            return new ReplicaEntry(current, owned, segments[^1], path);
        }
        catch
        {
            if (owned)
                current.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (_lock)
            _handle?.Dispose();
    }

    private static DirectoryHandle? OpenSegment(DirectoryHandle parent, string name, string path, bool create)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var errno = parent.TryOpenDirectory(name, out var child);
            if (errno == 0)
                return child;
            if (errno == Errno.ENOENT)
            {
                if (!create)
                    return null;
                errno = parent.TryMakeDirectory(name, 0x1FF);
                if (errno is not (0 or Errno.EEXIST))
                    throw Errno.ToException("mkdirat", name, errno);
                continue;
            }
            if (errno is not (Errno.ENOTDIR or Errno.ELOOP))
                throw Errno.ToException("openat", name, errno);
            if (!parent.TryLstat(name, out var status))
                continue;
            if (status.Kind == EntryKind.Symlink)
                throw new UnsafePathException(path, "crosses a symbolic link in the replica");
            if (!create)
                return null;
            // A file where the path needs a dir: the master replaced it, and a later event or reconcile says so.
            errno = parent.TryRemove(name);
            if (errno is not (0 or Errno.ENOENT))
                throw Errno.ToException("unlinkat", name, errno);
        }
        throw new IOException($"'{path}': '{name}' keeps changing while it is resolved");
    }
}

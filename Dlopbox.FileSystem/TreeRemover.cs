namespace Dlopbox.FileSystem;

/// <summary>
/// Removes a file, link or whole directory tree by directory fds: a link inside is unlinked, never entered,
/// so a link planted in the tree cannot lead the delete out of it.
/// </summary>
public static class TreeRemover
{
    /// <summary>Another process adding entries as fast as they are removed: give up after this many passes.</summary>
    private const int MaxPasses = 8;

    /// <summary>Removes <paramref name="name"/> in <paramref name="parent"/>, whatever it is; nothing when missing.</summary>
    public static void Delete(DirectoryHandle parent, string name)
    {
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var errno = parent.TryRemove(name);
            // EISDIR (Linux says so for unlink of a dir; EPERM on some file systems): empty it, then rmdir.
            if (errno is 0 or Errno.ENOENT)
                return;
            if (errno is not (Errno.EISDIR or Errno.EPERM))
                throw Errno.ToException("unlinkat", name, errno);
            if (parent.TryOpenDirectory(name, out var directory) is var openErrno and not 0)
            {
                // Became a file or a link, or went away, since: the next pass unlinks it (or is done).
                if (openErrno is Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP)
                    continue;
                throw Errno.ToException("openat", name, openErrno);
            }
            using (directory)
            {
                foreach (var child in directory!.ListNames())
                    Delete(directory, child);
            }
            errno = parent.TryRemove(name, directory: true);
            if (errno is 0 or Errno.ENOENT)
                return;
            if (errno is not (Errno.ENOTEMPTY or Errno.ENOTDIR))
                throw Errno.ToException("unlinkat", name, errno);
        }
        throw Errno.ToException("unlinkat", name, Errno.ENOTEMPTY);
    }
}

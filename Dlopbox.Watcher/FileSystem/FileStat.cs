using System.Runtime.InteropServices;
using Dlopbox.Contracts;

namespace Dlopbox.Watcher.FileSystem;

/// <summary>What a path is on disk, as lstat sees it: symlinks are never followed.</summary>
internal enum DiskKind
{
    File,
    Directory,
    Symlink,

    /// <summary>FIFOs, sockets, devices: never synced (opening a FIFO to hash it would block).</summary>
    Other,
}

/// <summary>One lstat result: kind, size and last write time (to the nanosecond).</summary>
internal readonly record struct DiskEntry(DiskKind Kind, long Size, FileTime Mtime)
{
    public bool IsDir => Kind == DiskKind.Directory;

    /// <summary>True when size and mtime match: the quick check that lets a rescan skip hashing.</summary>
    public bool SameContentStamp(DiskEntry other) => Kind == other.Kind && Size == other.Size && Mtime == other.Mtime;
}

/// <summary>lstat through statx(2), which reports the file type that <see cref="FileSystemInfo"/> hides.</summary>
internal static class FileStat
{
    /// <summary>False when the path does not exist (or cannot be reached).</summary>
    public static unsafe bool TryLstat(string fullPath, out DiskEntry entry)
    {
        Libc.StatxBuffer buffer;
        var mask = Libc.STATX_TYPE | Libc.STATX_SIZE | Libc.STATX_MTIME;
        if (Libc.statx(Libc.AT_FDCWD, fullPath, Libc.AT_SYMLINK_NOFOLLOW, mask, &buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.ENOENT or Libc.ENOTDIR or Libc.EACCES)
            {
                entry = default;
                return false;
            }
            throw new IOException($"statx '{fullPath}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        var kind = (buffer.Mode & Libc.S_IFMT) switch
        {
            Libc.S_IFREG => DiskKind.File,
            Libc.S_IFDIR => DiskKind.Directory,
            Libc.S_IFLNK => DiskKind.Symlink,
            _ => DiskKind.Other,
        };
        var mtime = new FileTime(buffer.MtimeSeconds, (int)buffer.MtimeNanoseconds);
        entry = new DiskEntry(kind, kind == DiskKind.File ? (long)buffer.Size : 0, mtime);
        return true;
    }
}

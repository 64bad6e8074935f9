using System.Runtime.InteropServices;
using Dlopbox.Contracts;

namespace Dlopbox.FileSystem;

/// <summary>What a path is on disk, as lstat sees it: a symlink is itself, never what it points to.</summary>
public enum EntryKind
{
    File,
    Directory,
    Symlink,

    /// <summary>FIFOs, sockets, devices: never synced (opening a FIFO to read it would block).</summary>
    Other,
}

/// <summary>
/// One lstat(2) of a path, with what sync needs to see every change: nanosecond mtime, permission bits,
/// and the inode and ctime that a rename or a write changes even when size and mtime stay the same.
/// </summary>
public readonly record struct FileStatus(
    EntryKind Kind,
    long Size,
    FileTime Mtime,
    FileTime Ctime,
    int Mode,
    ulong Inode,
    ulong Device,
    uint LinkCount)
{
    /// <summary>rwx for user, group and other; setuid, setgid and sticky are not synced.</summary>
    public int Permissions => Mode & FileChange.PermissionBits;

    public bool IsDir => Kind == EntryKind.Directory;

    internal const uint Wanted = Statx.STATX_TYPE | Statx.STATX_MODE | Statx.STATX_NLINK | Statx.STATX_SIZE
        | Statx.STATX_MTIME | Statx.STATX_CTIME | Statx.STATX_INO;

    /// <summary>lstat of <paramref name="fullPath"/>; false when it does not exist or cannot be reached (ENOENT, ENOTDIR, EACCES).</summary>
    public static bool TryLstat(string fullPath, out FileStatus status) => TryLstatAt(Statx.AT_FDCWD, fullPath, out status);

    /// <summary>lstat of <paramref name="name"/> relative to the directory fd <paramref name="dirFd"/>; never follows a symlink.</summary>
    public static unsafe bool TryLstatAt(int dirFd, string name, out FileStatus status)
    {
        Statx.Buffer buffer;
        if (Statx.Call(dirFd, name, Statx.AT_SYMLINK_NOFOLLOW, Wanted, &buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR or Errno.EACCES)
            {
                status = default;
                return false;
            }
            throw Errno.ToException("statx", name, errno);
        }
        status = From(buffer);
        return true;
    }

    internal static FileStatus From(in Statx.Buffer buffer)
    {
        var kind = (buffer.Mode & Statx.S_IFMT) switch
        {
            Statx.S_IFREG => EntryKind.File,
            Statx.S_IFDIR => EntryKind.Directory,
            Statx.S_IFLNK => EntryKind.Symlink,
            _ => EntryKind.Other,
        };
        return new FileStatus(
            kind,
            kind == EntryKind.File ? (long)buffer.Size : 0,
            new FileTime(buffer.MtimeSeconds, (int)buffer.MtimeNanoseconds),
            new FileTime(buffer.CtimeSeconds, (int)buffer.CtimeNanoseconds),
            buffer.Mode & 0xFFF,
            buffer.Ino,
            ((ulong)buffer.DevMajor << 32) | buffer.DevMinor,
            buffer.Nlink);
    }
}

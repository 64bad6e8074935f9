using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dlopbox.FileSystem;

/// <summary>
/// Opens a file for reading without ever going through a symlink, and without blocking on a FIFO swapped
/// in meanwhile: open(2) with O_NOFOLLOW | O_NONBLOCK (.NET's FileStream follows links and would block on
/// a FIFO). The caller compares <see cref="Status"/> (an fstat of what was opened) with its own lstat.
/// </summary>
public static unsafe partial class NoFollowFile
{
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    /// <summary>
    /// Opens <paramref name="fullPath"/> read-only; null when it is missing or is a symlink (ENOENT, ENOTDIR,
    /// ELOOP). Throws for other errors (EACCES included: the caller reports an unreadable file).
    /// </summary>
    public static SafeFileHandle? TryOpenRead(string fullPath)
    {
        var fd = Open(fullPath, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP)
            return null;
        if (errno == Errno.EACCES)
            throw new UnauthorizedAccessException($"open '{fullPath}' failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        throw Errno.ToException("open", fullPath, errno);
    }

    /// <summary>fstat of an open file (statx with AT_EMPTY_PATH).</summary>
    public static FileStatus Status(SafeFileHandle file)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            Statx.Buffer buffer;
            if (Statx.Call((int)file.DangerousGetHandle(), "", Statx.AT_EMPTY_PATH | Statx.AT_SYMLINK_NOFOLLOW,
                    FileStatus.Wanted, &buffer) != 0)
                throw Errno.ToException("statx", "(open file)", Marshal.GetLastPInvokeError());
            return FileStatus.From(buffer);
        }
        finally
        {
            if (added)
                file.DangerousRelease();
        }
    }
}

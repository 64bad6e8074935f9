using System.Runtime.InteropServices;
using Dlopbox.Contracts;

namespace Dlopbox.FileSystem;

/// <summary>Sets a file's times to the nanosecond (.NET's setters keep 100 ns), never through a symlink.</summary>
public static unsafe partial class FileTimes
{
    private const long UTIME_OMIT = (1L << 30) - 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Utimensat(int dirFd, string path, Timespec* times, int flags);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int Futimens(int fd, Timespec* times);

    /// <summary>Sets the mtime of <paramref name="name"/> in <paramref name="dirFd"/> (or a full path with AT_FDCWD); the atime is left alone. A symlink gets its own mtime.</summary>
    public static void SetMtimeAt(int dirFd, string name, FileTime mtime)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = 0, Nanoseconds = UTIME_OMIT };
        times[1] = new Timespec { Seconds = mtime.Seconds, Nanoseconds = mtime.Nanoseconds };
        if (Utimensat(dirFd, name, times, Statx.AT_SYMLINK_NOFOLLOW) != 0)
            throw Errno.ToException("utimensat", name, Marshal.GetLastPInvokeError());
    }

    /// <summary>Sets the mtime of the full path <paramref name="fullPath"/>, never following a final symlink.</summary>
    public static void SetMtime(string fullPath, FileTime mtime) => SetMtimeAt(Statx.AT_FDCWD, fullPath, mtime);

    /// <summary>Sets the mtime of an open file.</summary>
    public static void SetMtime(SafeHandle file, FileTime mtime)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = 0, Nanoseconds = UTIME_OMIT };
        times[1] = new Timespec { Seconds = mtime.Seconds, Nanoseconds = mtime.Nanoseconds };
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            if (Futimens((int)file.DangerousGetHandle(), times) != 0)
                throw Errno.ToException("futimens", "(open file)", Marshal.GetLastPInvokeError());
        }
        finally
        {
            if (added)
                file.DangerousRelease();
        }
    }
}

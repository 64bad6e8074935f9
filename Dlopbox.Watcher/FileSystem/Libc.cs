using System.Runtime.InteropServices;

namespace Dlopbox.Watcher.FileSystem;

/// <summary>The few libc calls .NET does not expose: inotify and poll (lstat lives in Dlopbox.FileSystem).</summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int EINTR = 4;
    public const int ENOENT = 2;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int ENOSPC = 28;

    public const short POLLIN = 0x1;

    // Same values as O_NONBLOCK / O_CLOEXEC on x86-64 and arm64.
    public const int IN_NONBLOCK = 0x800;
    public const int IN_CLOEXEC = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Library, SetLastError = true)]
    public static partial int inotify_init1(int flags);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int inotify_add_watch(int fd, string path, uint mask);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int inotify_rm_watch(int fd, int wd);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int close(int fd);
}

using System.Runtime.InteropServices;
using Dlopbox.Watcher.FileSystem;

namespace Dlopbox.Watcher.Sources.Inotify;

/// <summary>One inotify instance: the fd and the syscalls on it (add and remove watches, poll, read).</summary>
internal sealed class InotifyFd : IDisposable
{
    private int _fd = -1;

    public void Open()
    {
        _fd = Libc.inotify_init1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);
        if (_fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"inotify_init1 failed: {Marshal.GetPInvokeErrorMessage(errno)}"
                + (errno == 24 ? " (raise fs.inotify.max_user_instances)" : ""), errno);
        }
    }

    /// <summary>inotify_add_watch; the descriptor, or -1 with the errno in <paramref name="errno"/>.</summary>
    public int AddWatch(string fullPath, InotifyMask mask, out int errno)
    {
        var wd = Libc.inotify_add_watch(_fd, fullPath, (uint)mask);
        errno = wd >= 0 ? 0 : Marshal.GetLastPInvokeError();
        return wd;
    }

    public void RemoveWatch(int wd) => Libc.inotify_rm_watch(_fd, wd);

    /// <summary>poll(2) for readability, up to <paramref name="timeoutMs"/>; false on timeout or EINTR.</summary>
    public unsafe bool WaitReadable(int timeoutMs)
    {
        var pollFd = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
        var ready = Libc.poll(&pollFd, 1, timeoutMs);
        if (ready < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                return false;
            throw new IOException($"poll on the inotify fd failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        return ready > 0;
    }

    /// <summary>One read(2), its events appended to <paramref name="events"/>; false when the kernel had nothing more.</summary>
    public unsafe bool ReadOnce(byte[] buffer, List<InotifyEvent> events)
    {
        nint read;
        fixed (byte* pointer = buffer)
            read = Libc.read(_fd, pointer, (nuint)buffer.Length);
        if (read < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EAGAIN or Libc.EINTR)
                return false;
            throw new IOException($"read on the inotify fd failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        if (read == 0)
            return false;
        InotifyEventParser.Parse(buffer.AsSpan(0, (int)read), events);
        return true;
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.close(fd);
    }
}

using System.Runtime.InteropServices;

namespace Dlopbox.FileSystem.Inotify;

/// <summary>One inotify instance: the fd and the syscalls on it (add and remove watches, poll, read).</summary>
public sealed class InotifyFd : IDisposable
{
    private int _fd = -1;

    public void Open()
    {
        _fd = InotifyLibc.InotifyInit1(InotifyLibc.IN_NONBLOCK | InotifyLibc.IN_CLOEXEC);
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
        var wd = InotifyLibc.InotifyAddWatch(_fd, fullPath, (uint)mask);
        errno = wd >= 0 ? 0 : Marshal.GetLastPInvokeError();
        return wd;
    }

    public void RemoveWatch(int wd) => InotifyLibc.InotifyRmWatch(_fd, wd);

    /// <summary>poll(2) for readability, up to <paramref name="timeoutMs"/>; false on timeout or EINTR.</summary>
    public unsafe bool WaitReadable(int timeoutMs)
    {
        var pollFd = new InotifyLibc.PollFd { Fd = _fd, Events = InotifyLibc.POLLIN };
        var ready = InotifyLibc.Poll(&pollFd, 1, timeoutMs);
        if (ready < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                return false;
            throw new IOException($"poll on the inotify fd failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        return ready > 0;
    }

    /// <summary>
    /// One read(2), its events appended to <paramref name="events"/> (but those <paramref name="skip"/> rejects); false
    /// when the kernel had nothing more.
    /// </summary>
    public unsafe bool ReadOnce(byte[] buffer, List<InotifyEvent> events, InotifyNameFilter? skip = null)
    {
        nint read;
        fixed (byte* pointer = buffer)
            read = InotifyLibc.Read(_fd, pointer, (nuint)buffer.Length);
        if (read < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.EAGAIN or Errno.EINTR)
                return false;
            throw new IOException($"read on the inotify fd failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        if (read == 0)
            return false;
        InotifyEventParser.Parse(buffer.AsSpan(0, (int)read), events, skip);
        return true;
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}

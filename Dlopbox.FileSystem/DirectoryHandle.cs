using System.Runtime.InteropServices;
using Dlopbox.Contracts;
using Microsoft.Win32.SafeHandles;

namespace Dlopbox.FileSystem;

/// <summary>
/// An O_PATH fd of a directory and the *at calls on names in it. A name is one path segment: the kernel
/// resolves nothing but that entry of this directory, and none of these calls follows a link there, so what
/// they touch cannot move elsewhere between a check and its use (unlike operations by full path).
/// </summary>
public sealed class DirectoryHandle : SafeHandleMinusOneIsInvalid
{
    private static readonly int PathFlags = Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC;

    public DirectoryHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Opens a directory by full path, following links in it (it is the operator's configured root).</summary>
    public static DirectoryHandle Open(string fullPath)
    {
        var fd = Libc.OpenAt(Statx.AT_FDCWD, fullPath, PathFlags, 0);
        if (fd < 0)
            throw Errno.ToException("open", fullPath, Marshal.GetLastPInvokeError());
        return FromFd(fd);
    }

    /// <summary>
    /// Opens the subdirectory <paramref name="name"/>; returns 0, or the errno: ENOENT when missing, ENOTDIR
    /// when it is a file or a symbolic link (O_NOFOLLOW with O_PATH|O_DIRECTORY refuses a link that way).
    /// </summary>
    public int TryOpenDirectory(string name, out DirectoryHandle? child)
    {
        var fd = Call(dir => Libc.OpenAt(dir, name, PathFlags | Libc.O_NOFOLLOW, 0));
        if (fd < 0)
        {
            child = null;
            return Marshal.GetLastPInvokeError();
        }
        child = FromFd(fd);
        return 0;
    }

    /// <summary>Creates a new file for writing, refusing any existing entry (a link included), with the given permission bits.</summary>
    public SafeFileHandle CreateFile(string name, int mode)
    {
        var fd = Call(dir => Libc.OpenAt(dir, name, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, mode));
        if (fd < 0)
            throw Errno.ToException("openat", name, Marshal.GetLastPInvokeError());
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Opens the regular file <paramref name="name"/> to read; null when it is missing or a link (never followed).
    /// O_NONBLOCK: a FIFO put there meanwhile cannot block the caller.
    /// </summary>
    public SafeFileHandle? TryOpenRead(string name)
    {
        var fd = Call(dir => Libc.OpenAt(dir, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0));
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Marshal.GetLastPInvokeError();
        return errno is Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP ? null : throw Errno.ToException("openat", name, errno);
    }

    /// <summary>mkdirat; returns 0 or the errno (EEXIST when anything is there). The umask applies to <paramref name="mode"/>.</summary>
    public int TryMakeDirectory(string name, int mode) =>
        Call(dir => Libc.MkdirAt(dir, name, mode)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>unlinkat of a file or link (never what a link points to), or with <paramref name="directory"/> of an empty dir; returns 0 or the errno.</summary>
    public int TryRemove(string name, bool directory = false) =>
        Call(dir => Libc.UnlinkAt(dir, name, directory ? Libc.AT_REMOVEDIR : 0)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>renameat: atomically replaces a file or link at the destination (a link is replaced, not followed).</summary>
    public void Rename(string name, DirectoryHandle toDirectory, string toName)
    {
        var added = false;
        toDirectory.DangerousAddRef(ref added);
        try
        {
            var to = (int)toDirectory.DangerousGetHandle();
            if (Call(dir => Libc.RenameAt(dir, name, to, toName)) != 0)
                throw Errno.ToException("renameat", name + " -> " + toName, Marshal.GetLastPInvokeError());
        }
        finally
        {
            if (added)
                toDirectory.DangerousRelease();
        }
    }

    /// <summary>symlinkat: a link holding <paramref name="target"/> as given; the target is not looked at.</summary>
    public void CreateSymlink(string target, string name)
    {
        if (Call(dir => Libc.SymlinkAt(target, dir, name)) != 0)
            throw Errno.ToException("symlinkat", name, Marshal.GetLastPInvokeError());
    }

    /// <summary>The target string of the link <paramref name="name"/>; null when it is missing or not a link.</summary>
    public unsafe string? ReadLink(string name)
    {
        var buffer = new byte[PathRules.MaxPathBytes + 1];
        nint length;
        fixed (byte* bytes = buffer)
        {
            var pointer = bytes;
            length = Call(dir => Libc.ReadlinkAt(dir, name, pointer, buffer.Length));
        }
        if (length < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is Errno.ENOENT or Errno.EINVAL or Errno.ENOTDIR ? null : throw Errno.ToException("readlinkat", name, errno);
        }
        return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length);
    }

    /// <summary>fchmodat with AT_SYMLINK_NOFOLLOW: a file or dir gets <paramref name="mode"/>; a link there is refused (EOPNOTSUPP), never followed.</summary>
    public void SetPermissions(string name, int mode)
    {
        if (Call(dir => Libc.FchmodAt(dir, name, mode, Statx.AT_SYMLINK_NOFOLLOW)) != 0)
            throw Errno.ToException("fchmodat", name, Marshal.GetLastPInvokeError());
    }

    /// <summary>utimensat with AT_SYMLINK_NOFOLLOW: a link gets its own mtime.</summary>
    public void SetMtime(string name, FileTime mtime) => Call(dir =>
    {
        FileTimes.SetMtimeAt(dir, name, mtime);
        return 0;
    });

    /// <summary>lstat of <paramref name="name"/>; false when it is missing.</summary>
    public bool TryLstat(string name, out FileStatus status)
    {
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            return FileStatus.TryLstatAt((int)DangerousGetHandle(), name, out status);
        }
        finally
        {
            if (added)
                DangerousRelease();
        }
    }

    /// <summary>The names in this directory (without "." and ".."), read through a fresh fd of it, not by path.</summary>
    public unsafe List<string> ListNames()
    {
        var fd = Call(dir => Libc.OpenAt(dir, ".", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0));
        if (fd < 0)
            throw Errno.ToException("openat", ".", Marshal.GetLastPInvokeError());
        var stream = Libc.Fdopendir(fd);
        if (stream == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Libc.Close(fd);
            throw Errno.ToException("fdopendir", ".", errno);
        }
        try
        {
            var names = new List<string>();
            while (true)
            {
                var entry = Libc.Readdir(stream);
                if (entry is null)
                {
                    // The generated stub clears errno first: 0 now means the end, anything else an error.
                    var errno = Marshal.GetLastPInvokeError();
                    return errno == 0 ? names : throw Errno.ToException("readdir", ".", errno);
                }
                var name = Marshal.PtrToStringUTF8((nint)(entry + 19))!;
                if (name is not "." and not "..")
                    names.Add(name);
            }
        }
        finally
        {
            Libc.Closedir(stream);
        }
    }

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;

    private static DirectoryHandle FromFd(int fd)
    {
        var result = new DirectoryHandle();
        result.SetHandle(fd);
        return result;
    }

    /// <summary>Runs a call on the raw fd, keeping the handle from being closed meanwhile.</summary>
    private T Call<T>(Func<int, T> call)
    {
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            return call((int)DangerousGetHandle());
        }
        finally
        {
            if (added)
                DangerousRelease();
        }
    }
}

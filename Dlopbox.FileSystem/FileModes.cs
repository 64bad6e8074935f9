using System.Runtime.InteropServices;

namespace Dlopbox.FileSystem;

/// <summary>Permission bits: the process's umask (for the modes a plain create would give) and fchmod of an open file.</summary>
public static class FileModes
{
    private static readonly Lazy<int> ProcessUmask = new(ReadUmask);

    /// <summary>What open(O_CREAT, 0666) gives under this process's umask: the mode of a file whose sender gave none.</summary>
    public static int DefaultFileMode => 0x1B6 & ~ProcessUmask.Value;

    /// <summary>What mkdir(0777) gives under this process's umask.</summary>
    public static int DefaultDirectoryMode => 0x1FF & ~ProcessUmask.Value;

    /// <summary>Sets the permission bits of an open file (the temp file of a download, before its rename).</summary>
    public static void SetPermissions(SafeHandle file, int mode)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            if (Libc.Fchmod((int)file.DangerousGetHandle(), mode) != 0)
                throw Errno.ToException("fchmod", "(open file)", Marshal.GetLastPInvokeError());
        }
        finally
        {
            if (added)
                file.DangerousRelease();
        }
    }

    /// <summary>
    /// umask(2) can only be read by setting it, which races with other threads creating files; Linux
    /// shows it in /proc/self/status instead. 022 when that is not readable.
    /// </summary>
    private static int ReadUmask()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                    return Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0x12;
    }
}

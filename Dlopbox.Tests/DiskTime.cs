using Dlopbox.Contracts;
using Dlopbox.FileSystem;

namespace Dlopbox.Tests;

/// <summary>A path's mtime as the file system keeps it (nanoseconds), which .NET's own getters round to 100 ns.</summary>
internal static class DiskTime
{
    public static FileTime Mtime(string path) =>
        FileStatus.TryLstat(path, out var status) ? status.Mtime : throw new FileNotFoundException("No such path", path);

    /// <summary>The rwx bits of a path, as lstat shows them (what the umask gave a new file).</summary>
    public static int Permissions(string path) =>
        FileStatus.TryLstat(path, out var status) ? status.Permissions : throw new FileNotFoundException("No such path", path);
}

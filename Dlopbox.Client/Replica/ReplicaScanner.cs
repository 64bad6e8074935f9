using Dlopbox.Contracts;
using Dlopbox.FileSystem;

namespace Dlopbox.Client.Replica;

/// <summary>What a path of the replica currently is on disk.</summary>
internal enum LocalKind
{
    None,
    File,
    Directory,

    /// <summary>A symbolic link: never followed, always replaced or removed.</summary>
    Link,
}

/// <summary>One entry found by <see cref="ReplicaScanner.Scan"/>: permission bits for files and dirs, the target string for links.</summary>
internal sealed record LocalEntry(string Path, string FullPath, LocalKind Kind, long Size = 0, FileTime Mtime = default, int? Mode = null, string? Target = null);

/// <summary>
/// Lists the replica by path, metadata only (lstat), for reconcile. Reading never follows a link: a link
/// is listed with its target string, not entered; what the scan finds is changed only through
/// <see cref="ReplicaDirectory"/>, by relative path, so a link planted meanwhile cannot redirect it.
/// </summary>
internal static class ReplicaScanner
{
    public static List<LocalEntry> Scan(string root)
    {
        var entries = new List<LocalEntry>();
        var options = new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false };
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        while (pending.TryPop(out var directory))
        {
            foreach (var info in directory.EnumerateFileSystemInfos("*", options))
            {
                var relative = System.IO.Path.GetRelativePath(root, info.FullName).Replace(System.IO.Path.DirectorySeparatorChar, '/');
                if (!FileStatus.TryLstat(info.FullName, out var status))
                    continue;
                switch (status.Kind)
                {
                    case EntryKind.Symlink:
                        // LinkTarget reads the link itself (readlink), it does not follow it.
                        entries.Add(new LocalEntry(relative, info.FullName, LocalKind.Link, Mtime: status.Mtime, Target: info.LinkTarget));
                        break;
                    case EntryKind.Directory:
                        entries.Add(new LocalEntry(relative, info.FullName, LocalKind.Directory, Mode: status.Permissions));
                        pending.Push(new DirectoryInfo(info.FullName));
                        break;
                    default:
                        // FIFOs and devices count as files: the master has none, so they are replaced or deleted.
                        entries.Add(new LocalEntry(relative, info.FullName, LocalKind.File, status.Size, status.Mtime, status.Permissions));
                        break;
                }
            }
        }
        return entries;
    }
}

using System.Security.Cryptography;
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

/// <summary>One entry found by <see cref="ReplicaDirectory.Scan"/>.</summary>
internal sealed record LocalEntry(string Path, string FullPath, LocalKind Kind, long Size = 0, FileTime Mtime = default);

/// <summary>
/// The replica dir and the local operations on it. Every wire path goes through <see cref="Resolve"/>;
/// nothing here follows a symbolic link, so nothing here can touch a file outside the replica.
/// </summary>
internal sealed class ReplicaDirectory
{
    public ReplicaDirectory(string root) =>
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    public string Root { get; }

    /// <summary>
    /// Full path of a wire path. Throws <see cref="UnsafePathException"/> when the path is malformed,
    /// leaves the root, uses a reserved name, or crosses a symbolic link inside the replica.
    /// </summary>
    public string Resolve(string? relative)
    {
        var full = PathRules.ResolveUnder(Root, relative!);
        if (PathRules.IsReserved(relative!))
            throw new UnsafePathException(relative, "uses a name reserved for dlopbox");
        // ResolveUnder checks the string; a link planted in the replica could still lead elsewhere.
        for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length > Root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (new FileInfo(dir).LinkTarget is not null)
                throw new UnsafePathException(relative, "crosses a symbolic link in the replica");
        }
        return full;
    }

    public static LocalKind Probe(string fullPath)
    {
        var info = new FileInfo(fullPath);
        if (info.LinkTarget is not null)
            return LocalKind.Link;
        if (info.Exists)
            return LocalKind.File;
        return Directory.Exists(fullPath) ? LocalKind.Directory : LocalKind.None;
    }

    /// <summary>True when a regular file is at <paramref name="fullPath"/> with this size and mtime: the content is taken as current.</summary>
    public static bool HasContent(string fullPath, long size, FileTime mtime)
    {
        return FileStatus.TryLstat(fullPath, out var status) && status.Kind == EntryKind.File && status.Size == size && status.Mtime == mtime;
    }

    /// <summary>Makes <paramref name="fullPath"/> a directory, creating parents and removing files in the way.</summary>
    public void EnsureDirectory(string fullPath)
    {
        if (Probe(fullPath) == LocalKind.Directory)
            return;
        var parent = Path.GetDirectoryName(fullPath);
        if (parent is not null && parent.Length > Root.Length)
            EnsureDirectory(parent);
        if (Probe(fullPath) is LocalKind.File or LocalKind.Link)
            File.Delete(fullPath);
        Directory.CreateDirectory(fullPath);
    }

    /// <summary>Removes a file, link or whole directory; nothing when the path is missing.</summary>
    public static void Delete(string fullPath)
    {
        switch (Probe(fullPath))
        {
            case LocalKind.File or LocalKind.Link:
                File.Delete(fullPath);
                break;
            case LocalKind.Directory:
                Directory.Delete(fullPath, recursive: true);
                break;
        }
    }

    /// <summary>Renames a file or directory, replacing whatever is at the destination.</summary>
    public void Move(string fromFullPath, string toFullPath)
    {
        var kind = Probe(fromFullPath);
        if (kind == LocalKind.None)
            throw new FileNotFoundException("Nothing to move", fromFullPath);
        EnsureDirectory(Path.GetDirectoryName(toFullPath)!);
        if (kind == LocalKind.Directory)
        {
            Delete(toFullPath);
            Directory.Move(fromFullPath, toFullPath);
        }
        else
        {
            if (Probe(toFullPath) == LocalKind.Directory)
                Directory.Delete(toFullPath, recursive: true);
            File.Move(fromFullPath, toFullPath, overwrite: true);
        }
    }

    /// <summary>A fresh temp file name in <paramref name="directory"/>; reconcile removes any that a crash leaves behind.</summary>
    public static string NewTempPath(string directory) =>
        Path.Combine(directory, WireNames.TempFilePrefix + RandomNumberGenerator.GetHexString(16, lowercase: true));

    public static bool IsTempName(string name) => name.StartsWith(WireNames.TempFilePrefix, StringComparison.Ordinal);

    /// <summary>
    /// Removes the temp files a killed process left behind (a download cut off before its rename) and
    /// returns how many. A metadata walk; run before following the stream again, so none stays visible.
    /// </summary>
    public int DeleteTempFiles()
    {
        var deleted = 0;
        foreach (var entry in Scan())
        {
            if (entry.Kind == LocalKind.File && IsTempName(Path.GetFileName(entry.Path)))
            {
                File.Delete(entry.FullPath);
                deleted++;
            }
        }
        return deleted;
    }

    /// <summary>Every entry under the root (metadata only), without descending into links.</summary>
    public List<LocalEntry> Scan()
    {
        var entries = new List<LocalEntry>();
        var options = new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false };
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(Root));
        while (pending.TryPop(out var directory))
        {
            foreach (var info in directory.EnumerateFileSystemInfos("*", options))
            {
                var relative = Path.GetRelativePath(Root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (info.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    entries.Add(new LocalEntry(relative, info.FullName, LocalKind.Link));
                }
                else if (info is DirectoryInfo subdirectory)
                {
                    entries.Add(new LocalEntry(relative, info.FullName, LocalKind.Directory));
                    pending.Push(subdirectory);
                }
                else if (info is FileInfo file)
                {
                    entries.Add(new LocalEntry(relative, info.FullName, LocalKind.File, file.Length,
                        FileStatus.TryLstat(info.FullName, out var status) ? status.Mtime : default));
                }
            }
        }
        return entries;
    }
}

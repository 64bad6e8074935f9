using System.Collections.Concurrent;
using System.IO.Enumeration;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.FileSystem;

/// <summary>One file, directory or symlink found by a walk of the master tree; <paramref name="Target"/> only for a symlink.</summary>
internal readonly record struct ScannedEntry(string Path, FileStatus Disk, string? Target = null);

/// <summary>
/// Walks the master tree the way every part of the watcher must see it: symlinks are never followed (with
/// <see cref="SymlinkMode.Mirror"/> they are reported as links, with their target), FIFOs and the like are
/// never reported, reserved names (<see cref="WireNames.ReservedNamePrefix"/>) and paths that break
/// <see cref="PathRules"/> are skipped.
/// </summary>
internal sealed partial class TreeScanner(IOptions<WatcherOptions> options, ILogger<TreeScanner> logger)
{
    // Bounded so a tree full of symlinks cannot grow it without end; past that, skips are just not logged.
    private const int MaxRememberedSkips = 10_000;

    private static readonly EnumerationOptions ListingOptions = new()
    {
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    private readonly ConcurrentDictionary<string, byte> _loggedSkips = new(StringComparer.Ordinal);

    public string Root { get; } = options.Value.MasterRoot;

    public bool MirrorsSymlinks { get; } = options.Value.Symlinks == SymlinkMode.Mirror;

    public string FullPath(string relative) => relative.Length == 0 ? Root : Root + "/" + relative;

    /// <summary>
    /// Everything below <paramref name="relativeDir"/> ("" for the root), each directory before what it
    /// holds. Lazy: a directory is listed only after the caller has seen its entry, so a caller that adds an
    /// inotify watch per directory does so before listing it and misses nothing created meanwhile.
    /// </summary>
    public IEnumerable<ScannedEntry> Walk(string relativeDir)
    {
        var pending = new Stack<string>();
        pending.Push(relativeDir);
        var subdirs = new List<string>();
        while (pending.TryPop(out var dir))
        {
            subdirs.Clear();
            foreach (var name in ListNames(dir))
            {
                var path = PathRules.Combine(dir, name);
                if (!IsSyncable(path) || Probe(path) is not { } disk)
                    continue;
                if (disk.IsDir)
                    subdirs.Add(path);
                if (disk.Kind is EntryKind.File or EntryKind.Directory)
                    yield return new ScannedEntry(path, disk);
                else if (disk.Kind == EntryKind.Symlink && MirrorsSymlinks && ReadLinkTarget(path, disk) is { } target)
                    yield return new ScannedEntry(path, disk, target);
            }
            for (var i = subdirs.Count - 1; i >= 0; i--)
                pending.Push(subdirs[i]);
        }
    }

    /// <summary>The syncable sub-directories of <paramref name="dir"/> (symlinks excluded), from the listing alone: no stat per file.</summary>
    public List<string> ListSubdirs(string dir)
    {
        try
        {
            var names = new FileSystemEnumerable<string>(
                FullPath(dir), static (ref FileSystemEntry entry) => entry.FileName.ToString(), ListingOptions)
            {
                ShouldIncludePredicate = static (ref FileSystemEntry entry) =>
                    entry.IsDirectory && (entry.Attributes & FileAttributes.ReparsePoint) == 0,
            };
            return [.. names.Select(name => PathRules.Combine(dir, name)).Where(IsSyncable)];
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>What the path is now (symlinks and FIFOs included; what is never synced is logged once), or null when it is missing.</summary>
    public FileStatus? Probe(string path)
    {
        FileStatus disk;
        try
        {
            if (!FileStatus.TryLstat(FullPath(path), out disk))
            {
                if (path.Contains('\uFFFD', StringComparison.Ordinal))
                    LogSkipOnce(path, "its name is not valid UTF-8", warn: true);
                return null;
            }
        }
        catch (IOException ex)
        {
            LogSkipOnce(path, ex.Message, warn: true);
            return null;
        }
        switch (disk.Kind)
        {
            case EntryKind.Symlink when !MirrorsSymlinks:
                LogSkipOnce(path, "it is a symlink (Watcher:Symlinks is Skip)", warn: false);
                break;
            case EntryKind.Other:
                LogSkipOnce(path, "it is not a regular file nor a directory", warn: false);
                break;
        }
        return disk;
    }

    /// <summary>
    /// The target string of the symlink at <paramref name="path"/> that lstat saw as <paramref name="disk"/>,
    /// as readlink gives it (never followed); null when it is gone or was replaced since (its own event
    /// explains it), or when the target is empty or not valid UTF-8 (it could not be sent as it is; logged once).
    /// </summary>
    public string? ReadLinkTarget(string path, FileStatus disk)
    {
        string? target;
        try
        {
            target = new FileInfo(FullPath(path)).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // readlink has no fd form for a link: a second lstat shows it is still the link that was seen.
        if (target is null || !FileStatus.TryLstat(FullPath(path), out var after)
            || after.Kind != EntryKind.Symlink || after.Inode != disk.Inode || after.Mtime != disk.Mtime)
            return null;
        if (target.Length == 0 || target.Contains('\uFFFD', StringComparison.Ordinal))
        {
            LogSkipOnce(path, "its symlink target is empty or not valid UTF-8", warn: true);
            return null;
        }
        return target;
    }

    /// <summary>False for reserved names and for paths that are not valid on the wire (logged once).</summary>
    public bool IsSyncable(string path)
    {
        if (PathRules.Check(path) is { } problem)
        {
            LogSkipOnce(path, problem, warn: true);
            return false;
        }
        return !PathRules.IsReserved(path);
    }

    private List<string> ListNames(string dir)
    {
        try
        {
            var names = new FileSystemEnumerable<string>(
                FullPath(dir), static (ref FileSystemEntry entry) => entry.FileName.ToString(), ListingOptions).ToList();
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            // Gone or replaced since its entry was seen: whatever happened to it has its own event.
            return [];
        }
    }

    private void LogSkipOnce(string path, string reason, bool warn)
    {
        if (_loggedSkips.Count >= MaxRememberedSkips || !_loggedSkips.TryAdd(path, 0))
            return;
        if (warn)
            LogSkippedPath(logger, path, reason);
        else
            LogIgnoredPath(logger, path, reason);
    }

    [LoggerMessage(LogLevel.Warning, "Skipping {Path}: {Reason}")]
    private static partial void LogSkippedPath(ILogger logger, string path, string reason);

    [LoggerMessage(LogLevel.Debug, "Ignoring {Path}: {Reason}")]
    private static partial void LogIgnoredPath(ILogger logger, string path, string reason);
}

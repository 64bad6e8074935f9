using System.Collections.Concurrent;
using System.IO.Enumeration;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.FileSystem;

/// <summary>One file or directory found by a walk of the master tree.</summary>
internal readonly record struct ScannedEntry(string Path, DiskEntry Disk);

/// <summary>
/// Walks the master tree the way every part of the watcher must see it: symlinks, FIFOs and the like are
/// never followed nor reported, reserved names (<see cref="WireNames.ReservedNamePrefix"/>) and paths that
/// break <see cref="PathRules"/> are skipped.
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
                if (!IsSyncable(path) || Probe(path) is not { Kind: DiskKind.File or DiskKind.Directory } disk)
                    continue;
                if (disk.IsDir)
                    subdirs.Add(path);
                yield return new ScannedEntry(path, disk);
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

    /// <summary>What the path is now (symlinks and FIFOs included, logged once as never synced), or null when it is missing.</summary>
    public DiskEntry? Probe(string path)
    {
        DiskEntry disk;
        try
        {
            if (!FileStat.TryLstat(FullPath(path), out disk))
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
            case DiskKind.Symlink:
                LogSkipOnce(path, "it is a symlink (never followed nor synced)", warn: false);
                break;
            case DiskKind.Other:
                LogSkipOnce(path, "it is not a regular file nor a directory", warn: false);
                break;
        }
        return disk;
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
            LogSkippedPath(path, reason);
        else
            LogIgnoredPath(path, reason);
    }

    [LoggerMessage(LogLevel.Warning, "Skipping {Path}: {Reason}")]
    private partial void LogSkippedPath(string path, string reason);

    [LoggerMessage(LogLevel.Debug, "Ignoring {Path}: {Reason}")]
    private partial void LogIgnoredPath(string path, string reason);
}

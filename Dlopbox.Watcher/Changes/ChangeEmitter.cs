using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Watcher.FileSystem;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// Turns <see cref="ChangeOp"/>s into <see cref="FileChange"/>s by looking at the disk now and comparing it
/// with <see cref="Told"/>, the index of what downstream has been told. Every emitted change is applied to
/// that index at once, so the next op is judged against what downstream will know. What one path means is
/// decided by <see cref="PathEmitter"/>; this type handles moves, deletes and whole-tree rescans. Runs on one thread.
/// </summary>
internal sealed partial class ChangeEmitter
{
    private readonly TreeScanner _scanner;
    private readonly ILogger<ChangeEmitter> _logger;
    private readonly ToldState _told;
    private readonly StableHasher _hasher;
    private readonly PathEmitter _paths;

    public ChangeEmitter(TreeScanner scanner, ILogger<ChangeEmitter> logger)
    {
        _scanner = scanner;
        _logger = logger;
        _told = new ToldState(scanner);
        _hasher = new StableHasher(scanner, logger);
        _paths = new PathEmitter(scanner, _hasher, _told);
    }

    public TreeIndex Told => _told.Told;

    /// <summary>Starts from <paramref name="told"/> (the persisted, acknowledged index).</summary>
    public void Reset(TreeIndex told) => _told.Told = told;

    /// <summary>
    /// Downstream lost what it was told (a new stream), except <paramref name="kept"/>: the next rescan tells
    /// every present path again and deletes every vanished one. Hashes stay known, so unchanged files are not read.
    /// </summary>
    public void ForgetSent(TreeIndex kept) => _told.Told.MarkUnsentExcept(kept);

    /// <summary>How many files were read to hash them (for tests and diagnostics).</summary>
    public long FilesHashed => _hasher.FilesHashed;

    public async Task ApplyAsync(ChangeOp op, List<FileChange> output, CancellationToken cancellationToken)
    {
        _told.Output = output;
        try
        {
            await ApplyCoreAsync(op, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // One unreadable path must not stop the watcher; the next event or rescan looks again.
            LogOpFailed(_logger, op, ex.Message);
        }
    }

    private async Task ApplyCoreAsync(ChangeOp op, CancellationToken cancellationToken)
    {
        switch (op)
        {
            case ChangeOp.Dirty dirty:
                await _paths.DirtyAsync(dirty.Path, dirty.Force, cancellationToken);
                break;
            case ChangeOp.Delete delete:
                _told.EmitDelete(delete.Path);
                break;
            case ChangeOp.Move move:
                await MoveAsync(move.OldPath, move.NewPath, cancellationToken);
                break;
            case ChangeOp.Rescan:
                var before = _told.Output.Count;
                var compared = await ReconcileAsync("", force: false, detectRenames: true, cancellationToken);
                LogRescanned(_logger, compared, _told.Output.Count - before);
                break;
        }
    }

    private async Task MoveAsync(string oldPath, string newPath, CancellationToken cancellationToken)
    {
        if (string.Equals(oldPath, newPath, StringComparison.Ordinal))
            return;
        if (_told.Find(oldPath) is not { } known)
        {
            // Downstream never heard of the source (it was new and coalesced away): the destination is a create.
            await _paths.DirtyAsync(newPath, force: true, cancellationToken);
            if (_told.Find(newPath) is { IsDir: true })
                await ReconcileAsync(newPath, force: true, detectRenames: false, cancellationToken);
            return;
        }
        _told.EnsureParents(newPath);
        _told.Emit(known.Kind switch
        {
            EntryKind.Directory => FileChange.MoveDir(oldPath, newPath),
            EntryKind.Symlink => FileChange.MoveSymlink(oldPath, newPath, known.Target ?? "", known.Mtime),
            _ => FileChange.MoveFile(oldPath, newPath, known.Size, known.Mtime, known.Sha256 ?? "", known.Mode),
        });
    }

    /// <summary>
    /// Brings <see cref="Told"/> in line with the disk below <paramref name="root"/> ("" = everything):
    /// writes, mkdirs and symlinks in path order, then deletes of what vanished. With <paramref name="detectRenames"/>,
    /// a new file whose size and hash equal a vanished one is sent as a move. Returns how many entries it compared.
    /// </summary>
    private async Task<int> ReconcileAsync(string root, bool force, bool detectRenames, CancellationToken cancellationToken)
    {
        var onDisk = _scanner.Walk(root).ToList();
        var present = new HashSet<string>(onDisk.Select(e => e.Path), StringComparer.Ordinal);
        var known = root.Length == 0 ? Told.All() : Told.Subtree(root).Where(e => e.Key != root);
        var vanished = known.Where(e => !present.Contains(e.Key)).Select(e => e.Key).ToList();
        var renameCandidates = detectRenames ? VanishedFilesBySize(vanished) : null;

        foreach (var entry in onDisk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (path, disk, _) = entry;
            if (renameCandidates is { Count: > 0 } && disk.Kind == EntryKind.File && !Told.TryGet(path, out _)
                && renameCandidates.ContainsKey(disk.Size))
            {
                if (await _hasher.HashAsync(path, disk, cancellationToken) is { } hashed)
                {
                    if (TakeRenameSource(renameCandidates, hashed) is { } source)
                    {
                        _told.EnsureParents(path);
                        _told.Emit(FileChange.MoveFile(source, path, hashed.Size, hashed.Mtime, hashed.Sha256, disk.Permissions), disk);
                    }
                    else
                    {
                        _paths.EmitFile(path, hashed);
                    }
                }
                continue;
            }
            await _paths.DirtyAsync(path, force, cancellationToken, entry);
        }

        // Path order puts a dir before its contents: deleting it removes them from Told, so they are skipped.
        foreach (var path in vanished)
            _told.EmitDelete(path);
        return onDisk.Count;
    }

    private Dictionary<long, List<(string Path, string Sha256)>> VanishedFilesBySize(List<string> vanished)
    {
        var bySize = new Dictionary<long, List<(string, string)>>();
        foreach (var path in vanished)
        {
            // An unsent file is not a rename source: downstream may not have it to move.
            if (Told.TryGet(path, out var entry) && entry is { IsFile: true, Unsent: false } && entry.Sha256 is { Length: > 0 } sha256)
            {
                if (!bySize.TryGetValue(entry.Size, out var list))
                    bySize[entry.Size] = list = [];
                list.Add((path, sha256));
            }
        }
        return bySize;
    }

    private string? TakeRenameSource(Dictionary<long, List<(string Path, string Sha256)>> candidates, HashedFile file)
    {
        if (!candidates.TryGetValue(file.Size, out var list))
            return null;
        var index = list.FindIndex(c => c.Sha256 == file.Sha256 && Told.TryGet(c.Path, out var e) && e.IsFile);
        if (index < 0)
            return null;
        var source = list[index].Path;
        list.RemoveAt(index);
        if (list.Count == 0)
            candidates.Remove(file.Size);
        return source;
    }

    [LoggerMessage(LogLevel.Information, "Rescan compared {Entries} entries with what was sent: {Changes} changes")]
    private static partial void LogRescanned(ILogger logger, int entries, int changes);

    [LoggerMessage(LogLevel.Warning, "Skipping {Op}: {Reason}")]
    private static partial void LogOpFailed(ILogger logger, ChangeOp op, string reason);
}

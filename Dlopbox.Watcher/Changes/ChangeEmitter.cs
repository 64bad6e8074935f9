using Dlopbox.Contracts;
using Dlopbox.Watcher.FileSystem;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// Turns <see cref="ChangeOp"/>s into <see cref="FileChange"/>s by looking at the disk now and comparing it
/// with <see cref="Told"/>, the index of what downstream has been told. Every emitted change is applied to
/// that index at once, so the next op is judged against what downstream will know. Runs on one thread.
/// </summary>
internal sealed partial class ChangeEmitter(TreeScanner scanner, ILogger<ChangeEmitter> logger)
{
    private readonly record struct HashedFile(long Size, FileTime Mtime, string Sha256);

    public TreeIndex Told { get; private set; } = new();

    /// <summary>Starts from <paramref name="told"/> (the persisted, acknowledged index).</summary>
    public void Reset(TreeIndex told) => Told = told;

    public async Task ApplyAsync(ChangeOp op, List<FileChange> output, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyCoreAsync(op, output, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // One unreadable path must not stop the watcher; the next event or rescan looks again.
            LogOpFailed(op, ex.Message);
        }
    }

    private async Task ApplyCoreAsync(ChangeOp op, List<FileChange> output, CancellationToken cancellationToken)
    {
        switch (op)
        {
            case ChangeOp.Dirty dirty:
                await DirtyAsync(dirty.Path, dirty.Force, output, cancellationToken);
                break;
            case ChangeOp.Delete delete:
                Delete(delete.Path, output);
                break;
            case ChangeOp.Move move:
                await MoveAsync(move.OldPath, move.NewPath, output, cancellationToken);
                break;
            case ChangeOp.Rescan:
                var before = output.Count;
                var compared = await ReconcileAsync("", force: false, detectRenames: true, output, cancellationToken);
                LogRescanned(compared, output.Count - before);
                break;
        }
    }

    private async Task DirtyAsync(string path, bool force, List<FileChange> output, CancellationToken cancellationToken,
        DiskEntry? probed = null)
    {
        if (!scanner.IsSyncable(path) || (probed ?? scanner.Probe(path)) is not { } disk)
            return; // missing: the op that explains it (delete, move) is queued behind this one
        var known = Told.TryGet(path, out var entry) ? entry : null;

        switch (disk.Kind)
        {
            case DiskKind.Directory:
                if (known is { IsDir: true })
                    return;
                if (known is not null)
                    Emit(FileChange.Delete(path, isDir: false), output);
                EnsureParents(path, output);
                Emit(FileChange.Mkdir(path), output);
                return;

            case DiskKind.File:
                if (known is { IsDir: false } && !force && known.Size == disk.Size && known.Mtime == disk.Mtime)
                    return;
                if (await HashStableAsync(path, disk, cancellationToken) is { } hashed)
                    EmitWriteIfChanged(path, hashed, known, output);
                return;

            default:
                // A symlink or FIFO took the place of something downstream has: for downstream it is gone.
                if (known is not null)
                    Emit(FileChange.Delete(path, known.IsDir), output);
                return;
        }
    }

    private void Delete(string path, List<FileChange> output)
    {
        if (Told.TryGet(path, out var known))
            Emit(FileChange.Delete(path, known.IsDir), output);
    }

    private async Task MoveAsync(string oldPath, string newPath, List<FileChange> output, CancellationToken cancellationToken)
    {
        if (string.Equals(oldPath, newPath, StringComparison.Ordinal))
            return;
        if (!Told.TryGet(oldPath, out var known))
        {
            // Downstream never heard of the source (it was new and coalesced away): the destination is a create.
            await DirtyAsync(newPath, force: true, output, cancellationToken);
            if (Told.TryGet(newPath, out var created) && created.IsDir)
                await ReconcileAsync(newPath, force: true, detectRenames: false, output, cancellationToken);
            return;
        }
        EnsureParents(newPath, output);
        Emit(known.IsDir
            ? FileChange.MoveDir(oldPath, newPath)
            : FileChange.MoveFile(oldPath, newPath, known.Size, known.Mtime, known.Sha256 ?? ""), output);
    }

    /// <summary>
    /// Brings <see cref="Told"/> in line with the disk below <paramref name="root"/> ("" = everything):
    /// writes and mkdirs in path order, then deletes of what vanished. With <paramref name="detectRenames"/>,
    /// a new file whose size and hash equal a vanished one is sent as a move. Returns how many entries it compared.
    /// </summary>
    private async Task<int> ReconcileAsync(string root, bool force, bool detectRenames, List<FileChange> output,
        CancellationToken cancellationToken)
    {
        var onDisk = scanner.Walk(root).ToList();
        var present = new HashSet<string>(onDisk.Select(e => e.Path), StringComparer.Ordinal);
        var known = root.Length == 0 ? Told.All() : Told.Subtree(root).Where(e => e.Key != root);
        var vanished = known.Where(e => !present.Contains(e.Key)).Select(e => e.Key).ToList();
        var renameCandidates = detectRenames ? VanishedFilesBySize(vanished) : null;

        foreach (var (path, disk) in onDisk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (renameCandidates is { Count: > 0 } && !disk.IsDir && !Told.TryGet(path, out _)
                && renameCandidates.ContainsKey(disk.Size))
            {
                if (await HashStableAsync(path, disk, cancellationToken) is { } hashed)
                {
                    if (TakeRenameSource(renameCandidates, hashed) is { } source)
                    {
                        EnsureParents(path, output);
                        Emit(FileChange.MoveFile(source, path, hashed.Size, hashed.Mtime, hashed.Sha256), output);
                    }
                    else
                    {
                        EmitWriteIfChanged(path, hashed, known: null, output);
                    }
                }
                continue;
            }
            await DirtyAsync(path, force, output, cancellationToken, disk);
        }

        // Path order puts a dir before its contents: deleting it removes them from Told, so they are skipped.
        foreach (var path in vanished)
            Delete(path, output);
        return onDisk.Count;
    }

    private Dictionary<long, List<(string Path, string Sha256)>> VanishedFilesBySize(List<string> vanished)
    {
        var bySize = new Dictionary<long, List<(string, string)>>();
        foreach (var path in vanished)
        {
            if (Told.TryGet(path, out var entry) && !entry.IsDir && entry.Sha256 is { Length: > 0 } sha256)
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
        var index = list.FindIndex(c => c.Sha256 == file.Sha256 && Told.TryGet(c.Path, out var e) && !e.IsDir);
        if (index < 0)
            return null;
        var source = list[index].Path;
        list.RemoveAt(index);
        if (list.Count == 0)
            candidates.Remove(file.Size);
        return source;
    }

    private void EmitWriteIfChanged(string path, HashedFile hashed, IndexEntry? known, List<FileChange> output)
    {
        known ??= Told.TryGet(path, out var entry) ? entry : null;
        if (known is { IsDir: false } && known.Size == hashed.Size && known.Mtime == hashed.Mtime && known.Sha256 == hashed.Sha256)
            return;
        if (known is { IsDir: true })
            Emit(FileChange.Delete(path, isDir: true), output);
        EnsureParents(path, output);
        Emit(FileChange.Write(path, hashed.Size, hashed.Mtime, hashed.Sha256), output);
    }

    /// <summary>Makes sure downstream has every ancestor of <paramref name="path"/> as a directory, top-down.</summary>
    private void EnsureParents(string path, List<FileChange> output)
    {
        if (PathRules.Parent(path) is not { } parent || (Told.TryGet(parent, out var known) && known.IsDir))
            return;
        EnsureParents(parent, output);
        if (Told.TryGet(parent, out var file))
            Emit(FileChange.Delete(parent, file.IsDir), output);
        Emit(FileChange.Mkdir(parent), output);
    }

    /// <summary>
    /// Hashes the file and checks that its size and mtime did not move meanwhile; null when they did (the
    /// writer's IN_CLOSE_WRITE, or the next poll, reports the final content) or the file is gone or unreadable.
    /// </summary>
    private async Task<HashedFile?> HashStableAsync(string path, DiskEntry before, CancellationToken cancellationToken)
    {
        var fullPath = scanner.FullPath(path);
        string sha256;
        long length;
        try
        {
            (sha256, length) = await FileHasher.HashAsync(fullPath, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogUnreadable(path, ex.Message);
            return null;
        }
        if (!FileStat.TryLstat(fullPath, out var after) || !after.SameContentStamp(before) || length != before.Size)
        {
            LogChangedWhileHashing(path);
            return null;
        }
        return new HashedFile(length, after.Mtime, sha256);
    }

    private void Emit(FileChange change, List<FileChange> output)
    {
        Told.Apply(change);
        output.Add(change);
    }

    [LoggerMessage(LogLevel.Information, "Rescan compared {Entries} entries with what was sent: {Changes} changes")]
    private partial void LogRescanned(int entries, int changes);

    [LoggerMessage(LogLevel.Warning, "Skipping {Op}: {Reason}")]
    private partial void LogOpFailed(ChangeOp op, string reason);

    [LoggerMessage(LogLevel.Warning, "Cannot read {Path}: {Reason}")]
    private partial void LogUnreadable(string path, string reason);

    [LoggerMessage(LogLevel.Debug, "{Path} changed while it was hashed; its next event reports it")]
    private partial void LogChangedWhileHashing(string path);
}

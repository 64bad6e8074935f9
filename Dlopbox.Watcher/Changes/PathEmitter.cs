using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Watcher.FileSystem;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// Decides what one path's current state means for downstream, given what it was told: a mkdir, a write,
/// a symlink, an attrib (mode or mtime only: nothing to download), a delete when a kind changed, or nothing.
/// Hashes only when the content may have changed.
/// </summary>
internal sealed class PathEmitter(TreeScanner scanner, StableHasher hasher, ToldState told)
{
    /// <summary>Looks at <paramref name="path"/> now (or at <paramref name="probed"/>, what a walk just saw).</summary>
    public async Task DirtyAsync(string path, bool force, CancellationToken cancellationToken, ScannedEntry? probed = null)
    {
        if (!scanner.IsSyncable(path))
            return;
        FileStatus disk;
        var target = probed?.Target;
        if (probed is { } entry)
            disk = entry.Disk;
        else if (scanner.Probe(path) is { } status)
            disk = status;
        else
            return; // missing: the op that explains it (delete, move) is queued behind this one
        var known = told.Find(path);

        switch (disk.Kind)
        {
            case EntryKind.Directory:
                Directory(path, disk, known);
                return;
            case EntryKind.File:
                await FileAsync(path, disk, known, force, cancellationToken);
                return;
            case EntryKind.Symlink when scanner.MirrorsSymlinks:
                Symlink(path, disk, target ?? scanner.ReadLinkTarget(path, disk), known);
                return;
            default:
                // Something never synced (a FIFO, a skipped symlink) took the place of what downstream has.
                told.EmitDelete(path);
                return;
        }
    }

    private void Directory(string path, FileStatus disk, IndexEntry? known)
    {
        if (known is { IsDir: true, Unsent: false })
        {
            // Dirs carry no mtime (their entries change it): only a new mode is news.
            if (known.Mode != disk.Permissions)
                told.Emit(FileChange.Attrib(path, isDir: true, disk.Permissions, mtime: null));
            return;
        }
        if (known is not { IsDir: true })
            told.EmitDelete(path);
        told.EnsureParents(path);
        told.Emit(FileChange.Mkdir(path, disk.Permissions));
    }

    private async Task FileAsync(string path, FileStatus disk, IndexEntry? known, bool force, CancellationToken cancellationToken)
    {
        if (known is { IsFile: true } && !force && known.Size == disk.Size && known.Mtime == disk.Mtime)
        {
            // Same size and mtime. Same inode and ctime too, or the same inode with another mode (a chmod,
            // which moves the ctime): the content is what was told, no need to hash.
            if (!known.StampDiffers(disk) || (known.Inode == disk.Inode && known.Mode != disk.Permissions))
            {
                if (known.Unsent && known.Sha256 is { Length: > 0 } sha256)
                {
                    // Lost with an old stream: told again with the known hash, not read again.
                    told.EnsureParents(path);
                    told.Emit(FileChange.Write(path, disk.Size, disk.Mtime, sha256, disk.Permissions), disk);
                }
                else if (known.Mode != disk.Permissions)
                    told.Emit(FileChange.Attrib(path, isDir: false, disk.Permissions, disk.Mtime), disk);
                else
                    told.Told.SetStamp(path, disk);
                return;
            }
            // Another inode or ctime behind the same size and mtime (a swap of two files, a write within
            // one timestamp tick): only the hash can tell.
        }
        if (await hasher.HashAsync(path, disk, cancellationToken) is { } hashed)
            EmitFile(path, hashed);
    }

    /// <summary>Tells a hashed version of a file: nothing when downstream has it, an attrib when only mtime or mode differ, else a write.</summary>
    public void EmitFile(string path, HashedFile hashed)
    {
        var known = told.Find(path);
        var mode = hashed.Disk.Permissions;
        if (known is { IsFile: true, Unsent: false } && known.Size == hashed.Size && known.Sha256 == hashed.Sha256)
        {
            // The same bytes (a touch, a chmod, a rewrite with the same content): nothing to download.
            if (known.Mtime != hashed.Mtime || known.Mode != mode)
                told.Emit(FileChange.Attrib(path, isDir: false, mode, hashed.Mtime), hashed.Disk);
            else
                told.Told.SetStamp(path, hashed.Disk);
            return;
        }
        if (known is { IsFile: false })
            told.EmitDelete(path);
        told.EnsureParents(path);
        told.Emit(FileChange.Write(path, hashed.Size, hashed.Mtime, hashed.Sha256, mode), hashed.Disk);
    }

    private void Symlink(string path, FileStatus disk, string? target, IndexEntry? known)
    {
        if (target is null)
        {
            // Not sendable (empty or undecodable target, logged) or changed since lstat (its event follows).
            told.EmitDelete(path);
            return;
        }
        if (known is { IsSymlink: true, Unsent: false } && known.Target == target && known.Mtime == disk.Mtime)
        {
            told.Told.SetStamp(path, disk);
            return;
        }
        // A link replaces a link in one step downstream; anything else in the way goes first.
        if (known is { IsSymlink: false })
            told.EmitDelete(path);
        told.EnsureParents(path);
        told.Emit(FileChange.Symlink(path, target, disk.Mtime), disk);
    }
}

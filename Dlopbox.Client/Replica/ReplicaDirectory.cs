using System.Security.Cryptography;
using Dlopbox.Client.Drift;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;

namespace Dlopbox.Client.Replica;

/// <summary>How a local file compares with an announced one.</summary>
internal enum ContentState
{
    Differs,
    Current,

    /// <summary>Same size and mtime, other permission bits: a chmod makes it current, no download.</summary>
    ModeDiffers,
}

/// <summary>
/// The local operations on the replica, by wire path. Each resolves the path's parent through
/// <see cref="ReplicaRoot"/> (refusing links on the way) and then acts with one *at call on the last name,
/// none of which follows a link: nothing here can touch a file outside the replica. Every change is first
/// recorded in <see cref="OwnWrites"/> (when given), so the drift watcher knows it for the client's own.
/// </summary>
internal sealed class ReplicaDirectory(string root, OwnWrites ownWrites) : IDisposable
{
    private readonly ReplicaRoot _root = new(root);

    public string Root => _root.Root;

    /// <summary>
    /// Throws <see cref="UnsafePathException"/> for what every operation would refuse: a malformed or reserved
    /// path, or one crossing a link in the replica now. Lets the caller refuse and log before acting.
    /// </summary>
    public void Check(string? path)
    {
        using var entry = _root.Open(path, createParents: false);
    }

    /// <summary>
    /// The parent dir of <paramref name="path"/>, created when missing, for writing the last name; with
    /// <paramref name="resolved"/> (from <see cref="OpenExisting"/>, still the caller's to dispose), that one.
    /// </summary>
    public ReplicaEntry OpenForWrite(string path, ReplicaEntry? resolved = null)
    {
        ownWrites.Record(path);
        return resolved?.Borrow() ?? _root.Open(path, createParents: true)!;
    }

    /// <summary>The parent dir of <paramref name="path"/> as <see cref="Check"/> resolves it; null when a dir on the way is missing.</summary>
    public ReplicaEntry? OpenExisting(string path) => _root.Open(path, createParents: false);

    public LocalKind Probe(string path)
    {
        using var entry = _root.Open(path, createParents: false);
        return entry is not null && entry.Parent.TryLstat(entry.Name, out var status) ? KindOf(status) : LocalKind.None;
    }

    /// <summary>
    /// Whether a regular file is at <paramref name="path"/> with this size and mtime (and mode, when given).
    /// With <paramref name="sha256"/>, a file whose size and mtime match is also hashed: two files of one size
    /// swapped within one timestamp tick keep their sizes and mtimes, and only their bytes tell them apart.
    /// Hashing a local file costs far less than the download it saves, and only runs when the metadata matches.
    /// </summary>
    public async Task<ContentState> CompareAsync(string path, long size, FileTime mtime, int? mode, string? sha256,
        CancellationToken cancellationToken)
    {
        using var entry = _root.Open(path, createParents: false);
        return await CompareAsync(entry, size, mtime, mode, sha256, cancellationToken);
    }

    /// <summary><see cref="CompareAsync(string, long, FileTime, int?, string?, CancellationToken)"/> in a parent from <see cref="OpenExisting"/>.</summary>
    public static async Task<ContentState> CompareAsync(ReplicaEntry? entry, long size, FileTime mtime, int? mode, string? sha256,
        CancellationToken cancellationToken)
    {
        if (entry is null || !entry.Parent.TryLstat(entry.Name, out var status)
            || status.Kind != EntryKind.File || status.Size != size || status.Mtime != mtime)
            return ContentState.Differs;
        if (sha256 is not null)
        {
            using var file = entry.Parent.TryOpenRead(entry.Name);
            if (file is null || !string.Equals(await FileHasher.HashPrefixAsync(file, size, cancellationToken), sha256, StringComparison.OrdinalIgnoreCase))
                return ContentState.Differs;
        }
        return mode is { } wanted && status.Permissions != wanted ? ContentState.ModeDiffers : ContentState.Current;
    }

    /// <summary>Makes <paramref name="path"/> a directory (with <paramref name="mode"/> when given), creating parents and removing a file or link in the way.</summary>
    public void EnsureDirectory(string path, int? mode = null)
    {
        using var entry = OpenForWrite(path);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (entry.Parent.TryLstat(entry.Name, out var status))
            {
                if (status.IsDir)
                {
                    if (mode is { } wanted && status.Permissions != wanted)
                        entry.Parent.SetPermissions(entry.Name, wanted);
                    return;
                }
                TreeRemover.Delete(entry.Parent, entry.Name);
            }
            var errno = entry.Parent.TryMakeDirectory(entry.Name, mode ?? 0x1FF);
            if (errno == 0)
            {
                // mkdir applies the umask; the master's bits are set exactly.
                if (mode is { } created)
                    entry.Parent.SetPermissions(entry.Name, created);
                return;
            }
            if (errno != Errno.EEXIST)
                throw Errno.ToException("mkdirat", path, errno);
        }
        throw new IOException($"'{path}' keeps changing while it is made a directory");
    }

    /// <summary>Removes a file, link or whole directory (by fds, never following links); nothing when the path is missing.</summary>
    public void Delete(string path) => Delete(path, allowReserved: false);

    /// <summary><see cref="Delete(string)"/> of a path the replica scan found, which may be a reserved name (a leftover temp file).</summary>
    public void DeleteScanned(string path) => Delete(path, allowReserved: true);

    /// <summary>Renames a file, link or directory, replacing whatever is at the destination.</summary>
    public void Move(string from, string to)
    {
        using var source = _root.Open(from, createParents: false);
        if (source is null || !source.Parent.TryLstat(source.Name, out var status))
            throw new FileNotFoundException("Nothing to move", from);
        ownWrites.Record(from);
        using var target = OpenForWrite(to);
        // renameat replaces a file or link atomically, a dir only when empty and by a dir: clear dirs first.
        if (status.IsDir || (target.Parent.TryLstat(target.Name, out var existing) && existing.IsDir))
            TreeRemover.Delete(target.Parent, target.Name);
        source.Parent.Rename(source.Name, target.Parent, target.Name);
    }

    /// <summary>
    /// Makes <paramref name="path"/> a link to <paramref name="target"/> with <paramref name="mtime"/>: created
    /// under a temp name, stamped, renamed over what is there. False when it already is that link.
    /// </summary>
    public bool SetSymlink(string path, string target, FileTime? mtime)
    {
        // Every caller (an event, a moved link's fallback, a reconcile) gets the same rule as the Interface applies.
        if (PathRules.CheckLinkTarget(target) is { } problem)
            throw new UnsafePathException(path, $"has a symlink target that {problem}");
        using var entry = OpenForWrite(path);
        if (entry.Parent.TryLstat(entry.Name, out var status) && status.Kind == EntryKind.Symlink
            && (mtime is null || status.Mtime == mtime) && entry.Parent.ReadLink(entry.Name) == target)
            return false;
        var temp = NewTempName();
        entry.Parent.CreateSymlink(target, temp);
        try
        {
            if (mtime is { } stamp)
                entry.Parent.SetMtime(temp, stamp);
            CommitTemp(entry, temp);
            return true;
        }
        catch
        {
            entry.Parent.TryRemove(temp);
            throw;
        }
    }

    /// <summary>
    /// chmod (and, for a file, the mtime) of what is at <paramref name="path"/>. False when it is missing or a
    /// link (a link's own bits mean nothing and its mtime comes with its symlink event).
    /// </summary>
    public bool SetAttributes(string path, int mode, FileTime? mtime)
    {
        using var entry = _root.Open(path, createParents: false);
        if (entry is null || !entry.Parent.TryLstat(entry.Name, out var status) || status.Kind is not (EntryKind.File or EntryKind.Directory))
            return false;
        if (status.Permissions != mode || (status.Kind == EntryKind.File && mtime is { } changed && status.Mtime != changed))
            ownWrites.Record(path);
        if (status.Permissions != mode)
            entry.Parent.SetPermissions(entry.Name, mode & FileChange.PermissionBits);
        if (status.Kind == EntryKind.File && mtime is { } stamp && status.Mtime != stamp)
            entry.Parent.SetMtime(entry.Name, stamp);
        return true;
    }

    /// <summary>
    /// <see cref="CommitTemp(ReplicaEntry, string)"/> of a download: recorded again, as a large one may have
    /// taken longer than <see cref="OwnWrites.Window"/> since <see cref="OpenForWrite"/>.
    /// </summary>
    public void CommitTemp(string path, ReplicaEntry target, string tempName)
    {
        ownWrites.Record(path);
        CommitTemp(target, tempName);
    }

    /// <summary>Renames <paramref name="tempName"/> (beside the target) over <paramref name="target"/>; a dir in the way is deleted first.</summary>
    public static void CommitTemp(ReplicaEntry target, string tempName)
    {
        if (target.Parent.TryLstat(target.Name, out var status) && status.IsDir)
            TreeRemover.Delete(target.Parent, target.Name);
        target.Parent.Rename(tempName, target.Parent, target.Name);
    }

    /// <summary>A fresh temp name; reconcile removes any that a crash leaves behind.</summary>
    public static string NewTempName() => WireNames.TempFilePrefix + RandomNumberGenerator.GetHexString(16, lowercase: true);

    public static bool IsTempName(string name) => name.StartsWith(WireNames.TempFilePrefix, StringComparison.Ordinal);

    /// <summary>
    /// Removes the temp files and links a killed process left behind (a download cut off before its rename)
    /// and returns how many. A metadata walk; run before following the stream again, so none stays visible.
    /// </summary>
    public int DeleteTempFiles()
    {
        var deleted = 0;
        foreach (var entry in Scan())
        {
            if (entry.Kind is LocalKind.File or LocalKind.Link && IsTempName(System.IO.Path.GetFileName(entry.Path)))
            {
                DeleteScanned(entry.Path);
                deleted++;
            }
        }
        return deleted;
    }

    /// <summary>Every entry under the root (metadata only), without following links.</summary>
    public List<LocalEntry> Scan() => ReplicaScanner.Scan(Root);

    public void Dispose() => _root.Dispose();

    private void Delete(string path, bool allowReserved)
    {
        using var entry = _root.Open(path, createParents: false, allowReserved);
        if (entry is not null)
        {
            ownWrites.Record(path);
            TreeRemover.Delete(entry.Parent, entry.Name);
        }
    }

    private static LocalKind KindOf(FileStatus status) => status.Kind switch
    {
        EntryKind.Directory => LocalKind.Directory,
        EntryKind.Symlink => LocalKind.Link,
        _ => LocalKind.File,
    };
}

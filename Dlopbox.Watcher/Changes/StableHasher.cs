using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Watcher.FileSystem;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// A version of a file: <see cref="Size"/> bytes with this hash, as they were at <see cref="Mtime"/>.
/// <see cref="Disk"/> is the lstat taken before hashing (its inode and ctime are recorded, its mode sent).
/// </summary>
internal readonly record struct HashedFile(long Size, FileTime Mtime, string Sha256, FileStatus Disk);

/// <summary>
/// Hashes a file without ever reading a torn version as final, and without going through a symlink: it
/// opens with O_NOFOLLOW, checks that what it opened is the regular file lstat saw (same inode), hashes
/// exactly the size lstat saw, then looks again:
/// <list type="bullet">
/// <item>size, mtime and ctime unchanged: that is the version;</item>
/// <item>the file grew (an append): the hashed prefix is the version, with the size and mtime seen before
/// hashing. A replica fetches exactly that many bytes (an HTTP Range) and checks the hash, so a prefix
/// that changed meanwhile is never applied; the writes that grew it report the file again;</item>
/// <item>only its mtime or ctime moved (a rewrite in place, a chmod, another name unlinked): read again, up to
/// <see cref="MaxReads"/> times;</item>
/// <item>it shrank or was replaced: nothing (its events, or the next poll, report it).</item>
/// </list>
/// </summary>
internal sealed partial class StableHasher(TreeScanner scanner, ILogger logger)
{
    private long _filesHashed;

    /// <summary>How many files this hasher opened to read.</summary>
    public long FilesHashed => Interlocked.Read(ref _filesHashed);

    /// <summary>
    /// Reads after a change of metadata alone: an unlink of another name of the file (git's <c>ln tmp obj;
    /// rm tmp</c>) or a chmod during the read moves the ctime, and no later event names this path, so giving up
    /// would leave it unsent until the rescan. A file still changing after this many reads is left to its events.
    /// </summary>
    private const int MaxReads = 3;

    public async Task<HashedFile?> HashAsync(string path, FileStatus before, CancellationToken cancellationToken)
    {
        for (var read = 1; ; read++)
        {
            var (hashed, changedTo) = await HashOnceAsync(path, before, cancellationToken);
            if (changedTo is not { } again || read == MaxReads)
                return hashed;
            before = again;
        }
    }

    /// <summary>The version, or null; when null because only the mtime or ctime moved, the lstat to read again from.</summary>
    private async Task<(HashedFile? Hashed, FileStatus? ChangedTo)> HashOnceAsync(string path, FileStatus before, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _filesHashed);
        var fullPath = scanner.FullPath(path);
        string? sha256;
        try
        {
            using var file = NoFollowFile.TryOpenRead(fullPath);
            if (file is null)
                return (null, null); // gone, or a symlink now: the op that explains it is queued
            var opened = NoFollowFile.Status(file);
            if (opened.Kind != EntryKind.File || opened.Inode != before.Inode || opened.Device != before.Device)
            {
                LogChangedWhileHashing(logger, path, "it was replaced");
                return (null, null);
            }
            sha256 = await FileHasher.HashPrefixAsync(file, before.Size, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogUnreadable(logger, path, ex.Message);
            return (null, null);
        }

        if (sha256 is null || !FileStatus.TryLstat(fullPath, out var after) || after.Kind != EntryKind.File
            || after.Inode != before.Inode || after.Size < before.Size)
        {
            LogChangedWhileHashing(logger, path, "it shrank or was replaced");
            return (null, null);
        }
        if (after.Size == before.Size && (after.Mtime != before.Mtime || after.Ctime != before.Ctime))
        {
            LogChangedWhileHashing(logger, path, "it was rewritten in place");
            return (null, after);
        }
        if (after.Size > before.Size)
            LogSendingPrefix(logger, path, before.Size, after.Size);
        return (new HashedFile(before.Size, before.Mtime, sha256, before), null);
    }

    [LoggerMessage(LogLevel.Warning, "Cannot read {Path}: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(LogLevel.Debug, "{Path} changed while it was hashed ({Reason}); its next event reports it")]
    private static partial void LogChangedWhileHashing(ILogger logger, string path, string reason);

    [LoggerMessage(LogLevel.Debug, "{Path} grew from {Hashed} to {Now} bytes while it was hashed: sending the hashed prefix as its version")]
    private static partial void LogSendingPrefix(ILogger logger, string path, long hashed, long now);
}

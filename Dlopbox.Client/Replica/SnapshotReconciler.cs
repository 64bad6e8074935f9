using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Replica;

/// <summary>
/// Makes the replica equal to a fresh snapshot: removes leftover temp files and whatever the master does
/// not have, creates dirs and links, downloads (in parallel) the files whose size or mtime differ, then sets
/// the modes that differ. Every change goes through <see cref="ReplicaDirectory"/> by relative path (never
/// through a link). Its downloads are counted in <see cref="SyncProgress"/>, which the console and the progress reports show.
/// </summary>
internal readonly record struct ReconcileOutcome(long Offset, string? Epoch, int Changes);

internal sealed partial class SnapshotReconciler(
    SnapshotClient snapshots,
    ReplicaDirectory replica,
    FileDownloader downloader,
    UnresolvedFiles unresolved,
    SyncProgress progress,
    IOptions<ClientOptions> options,
    TimeProvider time,
    ILogger<SnapshotReconciler> logger)
{
    /// <summary>
    /// Returns the snapshot's offset (the replica now holds everything up to it), the epoch of the stream that offset belongs to, and how many local changes it
    /// made: files written, entries deleted (leftover temp files aside), dirs made, links made, modes set.
    /// </summary>
    public async Task<ReconcileOutcome> ReconcileAsync(CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        unresolved.Clear();
        var snapshot = await snapshots.GetAsync(cancellationToken);
        var plan = ReconcilePlanner.Plan(snapshot.Entries, replica.Scan(), options.Value.KeepLocalFiles);
        LogPlanned(logger, snapshot.Offset, snapshot.Entries.Count, plan.Kept, plan.Downloads.Count, plan.DownloadBytes, plan.Deletes.Count, plan.Mkdirs.Count,
            plan.Symlinks.Count, plan.ModeChanges.Count);

        foreach (var path in plan.Refused)
        {
            var reason = PathRules.Check(path) ?? "reserved name";
            LogRefusedPath(logger, path, reason);
            progress.RecordError($"refused unsafe path '{path}' in the snapshot: {reason}");
        }
        // Paths from the scan may hold reserved names (leftovers): deleted all the same, by relative path.
        foreach (var temp in plan.TempFiles)
            Refusing(temp.Path, () => replica.DeleteScanned(temp.Path));
        foreach (var entry in plan.Deletes)
            Refusing(entry.Path, () => replica.DeleteScanned(entry.Path));
        foreach (var path in plan.Mkdirs)
            Refusing(path, () => replica.EnsureDirectory(path));
        foreach (var link in plan.Symlinks)
            Refusing(link.Path, () => replica.SetSymlink(link.Path, link.Target!, link.Mtime));

        var written = 0;
        var skipped = 0;
        progress.BeginReconcile(plan.Downloads.Count, plan.DownloadBytes);
        try
        {
            await Parallel.ForEachAsync(
                plan.Downloads,
                new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxParallelDownloads, CancellationToken = cancellationToken },
                async (entry, token) =>
                {
                    long streamed = 0;
                    try
                    {
                        var expected = new ExpectedContent(entry.Size, entry.Mtime, entry.Sha256, entry.Mode);
                        var result = await downloader.DownloadAsync(entry.Path, expected, bytes =>
                        {
                            streamed += bytes;
                            progress.AddReconcileBytes(bytes);
                        }, token);
                        // Gone since the snapshot: deleted (an event says so) or renamed with its dir (fetched again then).
                        if (result == DownloadResult.NotFound)
                            unresolved.Add(entry.Path, expected);
                        if (result == DownloadResult.Rejected)
                            progress.RecordError($"the file server refused {entry.Path}");
                        if (result == DownloadResult.Written)
                            Interlocked.Increment(ref written);
                        else
                            Interlocked.Increment(ref skipped);
                    }
                    catch (UnsafePathException ex)
                    {
                        Refused(entry.Path, ex.Reason);
                        Interlocked.Increment(ref skipped);
                    }
                    finally
                    {
                        // Done either way: the bar reaches its end even when files changed or vanished since the snapshot.
                        progress.ReconcileFileDone(entry.Size - streamed);
                    }
                });
        }
        finally
        {
            progress.EndReconcile();
        }
        foreach (var change in plan.ModeChanges)
            Refusing(change.Path, () => replica.SetAttributes(change.Path, change.Mode, null));

        LogReconciled(logger, replica.Root, snapshot.Offset, plan.Kept, written, skipped,
            plan.Deletes.Count + plan.TempFiles.Count, plan.Mkdirs.Count, plan.Symlinks.Count, plan.ModeChanges.Count, time.GetElapsedTime(start).TotalSeconds);
        return new ReconcileOutcome(snapshot.Offset, snapshot.Epoch, written + plan.Deletes.Count + plan.Mkdirs.Count + plan.Symlinks.Count + plan.ModeChanges.Count);
    }

    /// <summary>Runs a local step; a link planted on the way since the scan refuses just that path.</summary>
    private void Refusing(string path, Action step)
    {
        try
        {
            step();
        }
        catch (UnsafePathException ex)
        {
            Refused(path, ex.Reason);
        }
    }

    private void Refused(string path, string reason)
    {
        LogRefusedPath(logger, path, reason);
        progress.RecordError($"refused unsafe path '{path}' in the snapshot: {reason}");
    }

    [LoggerMessage(LogLevel.Information, "Snapshot at offset {Offset} lists {Entries} entries: {Kept} files and links up to date, {Downloads} to download ({Bytes} bytes), {Deletes} to delete, {Mkdirs} dirs to create, {Symlinks} links to make, {Chmods} modes to set")]
    private static partial void LogPlanned(ILogger logger, long offset, int entries, int kept, int downloads, long bytes, int deletes, int mkdirs, int symlinks, int chmods);

    [LoggerMessage(LogLevel.Information, "Reconciled {ReplicaDir} to snapshot offset {Offset}: {Kept} kept, {Downloaded} downloaded, {Skipped} skipped (changed or gone since), {Deleted} deleted, {Created} dirs created, {Symlinks} links made, {Chmods} modes set in {Seconds:0.00} s")]
    private static partial void LogReconciled(ILogger logger, string replicaDir, long offset, int kept, int downloaded, int skipped, int deleted, int created, int symlinks, int chmods, double seconds);

    [LoggerMessage(LogLevel.Warning, "Refused snapshot entry with unsafe path '{Path}': {Reason}")]
    private static partial void LogRefusedPath(ILogger logger, string path, string reason);
}

using System.Diagnostics;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Replica;

/// <summary>
/// Makes the replica equal to a fresh snapshot: removes leftover temp files and whatever the master does
/// not have, creates dirs, downloads (in parallel) the files whose size or mtime differ. Its downloads are
/// counted in <see cref="SyncProgress"/>, which the console and the progress reports show.
/// </summary>
internal sealed partial class SnapshotReconciler(
    SnapshotClient snapshots,
    ReplicaDirectory replica,
    FileDownloader downloader,
    UnresolvedFiles unresolved,
    SyncProgress progress,
    IOptions<ClientOptions> options,
    ILogger<SnapshotReconciler> logger)
{
    /// <summary>Returns the snapshot's offset: the replica now holds everything up to it.</summary>
    public async Task<long> ReconcileAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        unresolved.Clear();
        var snapshot = await snapshots.GetAsync(cancellationToken);
        var plan = ReconcilePlanner.Plan(snapshot.Entries, replica.Scan());
        Log.Planned(logger, snapshot.Offset, snapshot.Entries.Count, plan.Kept, plan.Downloads.Count, plan.DownloadBytes, plan.Deletes.Count, plan.Mkdirs.Count);

        foreach (var path in plan.Refused)
        {
            var reason = PathRules.Check(path) ?? "reserved name";
            Log.RefusedPath(logger, path, reason);
            progress.RecordError($"refused unsafe path '{path}' in the snapshot: {reason}");
        }
        foreach (var temp in plan.TempFiles)
            ReplicaDirectory.Delete(temp.FullPath);
        // Paths from the scan are the replica's own, already under the root: no need to resolve them again.
        foreach (var entry in plan.Deletes)
            ReplicaDirectory.Delete(entry.FullPath);
        foreach (var path in plan.Mkdirs)
        {
            if (TryResolve(path) is { } full)
                replica.EnsureDirectory(full);
        }

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
                        if (TryResolve(entry.Path) is not { } full)
                            return;
                        var expected = new ExpectedContent(entry.Size, entry.Mtime, entry.Sha256);
                        var result = await downloader.DownloadAsync(entry.Path, full, expected, bytes =>
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

        Log.Reconciled(logger, replica.Root, snapshot.Offset, plan.Kept, written, skipped,
            plan.Deletes.Count + plan.TempFiles.Count, plan.Mkdirs.Count, clock.Elapsed.TotalSeconds);
        return snapshot.Offset;
    }

    private string? TryResolve(string path)
    {
        try
        {
            return replica.Resolve(path);
        }
        catch (UnsafePathException ex)
        {
            Log.RefusedPath(logger, path, ex.Reason);
            progress.RecordError($"refused unsafe path '{path}' in the snapshot: {ex.Reason}");
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "Snapshot at offset {Offset} lists {Entries} entries: {Kept} files up to date, {Downloads} to download ({Bytes} bytes), {Deletes} to delete, {Mkdirs} dirs to create")]
        public static partial void Planned(ILogger logger, long offset, int entries, int kept, int downloads, long bytes, int deletes, int mkdirs);

        [LoggerMessage(LogLevel.Information, "Reconciled {ReplicaDir} to snapshot offset {Offset}: {Kept} kept, {Downloaded} downloaded, {Skipped} skipped (changed or gone since), {Deleted} deleted, {Created} dirs created in {Seconds:0.00} s")]
        public static partial void Reconciled(ILogger logger, string replicaDir, long offset, int kept, int downloaded, int skipped, int deleted, int created, double seconds);

        [LoggerMessage(LogLevel.Warning, "Refused snapshot entry with unsafe path '{Path}': {Reason}")]
        public static partial void RefusedPath(ILogger logger, string path, string reason);
    }
}

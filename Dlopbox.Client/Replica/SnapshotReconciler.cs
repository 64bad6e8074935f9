using System.Diagnostics;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Replica;

/// <summary>
/// Makes the replica equal to a fresh snapshot: removes leftover temp files and whatever the master does
/// not have, creates dirs, downloads (in parallel) the files whose size or mtime differ.
/// </summary>
internal sealed partial class SnapshotReconciler(
    SnapshotClient snapshots,
    ReplicaDirectory replica,
    FileDownloader downloader,
    UnresolvedFiles unresolved,
    IOptions<ClientOptions> options,
    ILogger<SnapshotReconciler> logger)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    /// <summary>Returns the snapshot's offset: the replica now holds everything up to it.</summary>
    public async Task<long> ReconcileAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        unresolved.Clear();
        var snapshot = await snapshots.GetAsync(cancellationToken);
        var plan = ReconcilePlanner.Plan(snapshot.Entries, replica.Scan());
        Log.Planned(logger, snapshot.Offset, snapshot.Entries.Count, plan.Kept, plan.Downloads.Count, plan.DownloadBytes, plan.Deletes.Count, plan.Mkdirs.Count);

        foreach (var path in plan.Refused)
            Log.RefusedPath(logger, path, PathRules.Check(path) ?? "reserved name");
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

        var progress = new Progress(plan.Downloads.Count, plan.DownloadBytes);
        using var stopReporting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reporting = ReportProgressAsync(progress, stopReporting.Token);
        try
        {
            await Parallel.ForEachAsync(
                plan.Downloads,
                new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxParallelDownloads, CancellationToken = cancellationToken },
                async (entry, token) =>
                {
                    if (TryResolve(entry.Path) is not { } full)
                        return;
                    var expected = new ExpectedContent(entry.Size, entry.Mtime, entry.Sha256);
                    var result = await downloader.DownloadAsync(entry.Path, full, expected, token);
                    // Gone since the snapshot: deleted (an event says so) or renamed with its dir (fetched again then).
                    if (result == DownloadResult.NotFound)
                        unresolved.Add(entry.Path, expected);
                    progress.Add(result, entry.Size);
                });
        }
        finally
        {
            await stopReporting.CancelAsync();
            await reporting;
        }

        Log.Reconciled(logger, replica.Root, snapshot.Offset, plan.Kept, progress.Written, progress.Skipped,
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
            return null;
        }
    }

    private async Task ReportProgressAsync(Progress progress, CancellationToken cancellationToken)
    {
        if (progress.TotalFiles == 0)
            return;
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var bytes = progress.Bytes;
                Log.Progress(logger, progress.Files, progress.TotalFiles, bytes, progress.TotalBytes, bytes / 1048576.0 / clock.Elapsed.TotalSeconds);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Progress(int totalFiles, long totalBytes)
    {
        private int _files;
        private int _written;
        private long _bytes;

        public int TotalFiles => totalFiles;

        public long TotalBytes => totalBytes;

        public int Files => Volatile.Read(ref _files);

        public int Written => Volatile.Read(ref _written);

        public int Skipped => Files - Written;

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Add(DownloadResult result, long size)
        {
            Interlocked.Increment(ref _files);
            if (result != DownloadResult.Written)
                return;
            Interlocked.Increment(ref _written);
            Interlocked.Add(ref _bytes, size);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "Snapshot at offset {Offset} lists {Entries} entries: {Kept} files up to date, {Downloads} to download ({Bytes} bytes), {Deletes} to delete, {Mkdirs} dirs to create")]
        public static partial void Planned(ILogger logger, long offset, int entries, int kept, int downloads, long bytes, int deletes, int mkdirs);

        [LoggerMessage(LogLevel.Information, "Reconcile: {Files}/{TotalFiles} files, {Bytes}/{TotalBytes} bytes, {MegabytesPerSecond:0.0} MB/s")]
        public static partial void Progress(ILogger logger, int files, int totalFiles, long bytes, long totalBytes, double megabytesPerSecond);

        [LoggerMessage(LogLevel.Information, "Reconciled {ReplicaDir} to snapshot offset {Offset}: {Kept} kept, {Downloaded} downloaded, {Skipped} skipped (changed or gone since), {Deleted} deleted, {Created} dirs created in {Seconds:0.00} s")]
        public static partial void Reconciled(ILogger logger, string replicaDir, long offset, int kept, int downloaded, int skipped, int deleted, int created, double seconds);

        [LoggerMessage(LogLevel.Warning, "Refused snapshot entry with unsafe path '{Path}': {Reason}")]
        public static partial void RefusedPath(ILogger logger, string path, string reason);
    }
}

using System.Diagnostics;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Replica;

/// <summary>
/// The downloads in flight: they run in parallel, bounded by <see cref="ClientOptions.MaxParallelDownloads"/>,
/// each retried until it works or is abandoned at shutdown. Keeps order where it matters: a download waits
/// for those of the same path, an ancestor or a descendant, and so does any local operation that asks
/// (<see cref="WaitForRelatedAsync"/>). Started by one dispatcher; downloads complete on their own.
/// </summary>
internal sealed partial class DownloadScheduler(ReplicaDirectory replica, FileDownloader downloader, AppliedOffsetTracker offsets, UnresolvedFiles unresolved,
    LocalEventRunner local, IOptions<ClientOptions> options, ILogger logger, ClientTelemetry telemetry, SyncProgress progress, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>How long downloads may go on once the host is stopping before they are abandoned.</summary>
    internal static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _downloadSlots = new(options.Value.MaxParallelDownloads, options.Value.MaxParallelDownloads);
    private readonly FetchPacer _pacer = new(time);
    private readonly DownloadOutage _outage = new(logger, progress, MaxRetryDelay, time);
    private readonly Lock _lock = new();
    private readonly List<InFlightDownload> _inFlight = [];
    private CancellationTokenSource _abandon = new();

    public int InFlightCount
    {
        get
        {
            lock (_lock)
                return _inFlight.Count;
        }
    }

    /// <summary>
    /// Starts a download under <paramref name="offset"/>: a new offset, or (when <paramref name="partOfEarlierOffset"/>)
    /// one more piece of an offset already begun, which then stays unapplied until this piece is done too.
    /// </summary>
    public async Task StartAsync(long offset, string path, ExpectedContent expected, Activity? span, CancellationToken cancellationToken, bool partOfEarlierOffset = false)
    {
        // Taking the slot here, not in the download, bounds how far the dispatcher runs ahead.
        try
        {
            await _downloadSlots.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            span?.Stop();
            throw;
        }
        if (partOfEarlierOffset)
            offsets.Retain(offset);
        else
            offsets.Begin(offset);
        var download = new InFlightDownload(path);
        // The event's span (if given) now ends with this download; Activity.Current (that span) flows into it.
        download.Span = span;
        Task[] predecessors;
        lock (_lock)
        {
            predecessors = Related(path, null);
            // A file rewritten many times a second (a log) arrives as a run of writes of one path. An older
            // write still waiting (for its turn, or for the server) would fetch bytes the newer one replaces:
            // it is skipped. Safe: any other event touching the path waits until no download of it is in flight.
            foreach (var older in _inFlight)
            {
                if (string.Equals(older.Path, path, StringComparison.Ordinal))
                    older.Superseded = true;
            }
            _inFlight.Add(download);
        }
        download.Task = RunWriteAsync(offset, download, expected, predecessors, _abandon.Token);
    }

    private async Task RunWriteAsync(long offset, InFlightDownload download, ExpectedContent expected, Task[] predecessors, CancellationToken abandon)
    {
        await Task.Yield();
        try
        {
            // Two writes of one path, or of a dir and a file below it, must land in stream order.
            await Task.WhenAll(predecessors);
            var backoff = new Backoff(FirstRetryDelay, MaxRetryDelay, time);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    if (!download.Superseded && _pacer.TimeUntilFetchAllowed(download.Path) is { } pace)
                        await Task.Delay(pace, abandon);
                    if (download.Superseded)
                    {
                        LogSuperseded(logger, offset, download.Path);
                        download.Span?.SetTag(InFlightDownload.ResultTag, "superseded");
                        break;
                    }
                    _pacer.RecordFetchStart(download.Path);
                    // The parent dir, resolved once (refusing links) for the compare, the temp file and the rename.
                    using var parent = replica.OpenExisting(download.Path);
                    if (expected.Mtime is { } mtime
                        && await ReplicaDirectory.CompareAsync(parent, expected.Size, mtime, expected.Mode, expected.Sha256, abandon) is var state
                        and not ContentState.Differs)
                    {
                        // Same bytes by size and mtime; a chmod is all a mode change needs.
                        if (state == ContentState.ModeDiffers)
                            replica.SetAttributes(download.Path, expected.Mode!.Value, null);
                        LogAlreadyCurrent(logger, offset, download.Path, state == ContentState.ModeDiffers);
                        download.Span?.SetTag(InFlightDownload.ResultTag, state == ContentState.ModeDiffers ? "chmod" : "current");
                        unresolved.RemoveExact(download.Path);
                        break;
                    }
                    var result = await downloader.DownloadAsync(download.Path, expected, onBytes: null, parent, abandon);
                    _outage.End();
                    LogDownloaded(logger, offset, download.Path, result);
                    download.Span?.SetTag(InFlightDownload.ResultTag, InFlightDownload.ResultName(result));
                    if (result == DownloadResult.NotFound)
                        unresolved.Add(download.Path, expected);
                    else
                        unresolved.RemoveExact(download.Path);
                    if (result == DownloadResult.Rejected)
                        progress.RecordError($"the file server refused {download.Path}");
                    break;
                }
                catch (Exception ex) when (!abandon.IsCancellationRequested && IsTransient(ex))
                {
                    // Network or server trouble: retry until it works or we stop; the offset waits meanwhile.
                    _outage.Begin(ex.Message);
                    LogDownloadStillFailing(logger, offset, download.Path, attempt, ex);
                    telemetry.Retrying("download");
                    download.Span?.AddEvent(new ActivityEvent("retry"));
                    await backoff.WaitAsync(abandon);
                }
            }
            offsets.Complete(offset);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            // Abandoned at shutdown: the offset stays unapplied and the event is replayed on the next start.
        }
        catch (UnsafePathException ex)
        {
            // A link planted on the way since the event was checked: refused all the same.
            local.Refused(offset, ChangeKind.Write, download.Path, ex.Reason);
            offsets.Complete(offset);
        }
        catch (Exception ex)
        {
            LogDownloadCrashed(logger, offset, download.Path, ex);
            progress.RecordError($"download of {download.Path} failed: {ex.Message}");
            download.Span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            offsets.Complete(offset);
        }
        finally
        {
            lock (_lock)
                _inFlight.Remove(download);
            _downloadSlots.Release();
            download.Span?.Stop();
        }
    }

    /// <summary>
    /// Waits for every in-flight download. When <paramref name="stopping"/> fires, gives them
    /// <see cref="ShutdownGrace"/> (or <paramref name="grace"/>) more, then abandons the rest (their temp
    /// files are deleted and their offsets stay unapplied, so they are replayed on the next start).
    /// </summary>
    public async Task DrainAsync(CancellationToken stopping, TimeSpan? grace = null)
    {
        var all = Task.WhenAll(Snapshot());
        try
        {
            await all.WaitAsync(stopping);
            return;
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            await all.WaitAsync(grace ?? ShutdownGrace, CancellationToken.None);
            return;
        }
        catch (TimeoutException)
        {
        }
        LogAbandoning(logger, InFlightCount);
        await _abandon.CancelAsync();
        await all;
        _abandon.Dispose();
        _abandon = new CancellationTokenSource();
    }

    public void Dispose()
    {
        _abandon.Dispose();
        _downloadSlots.Dispose();
    }

    /// <summary>Failures that time cures: the network, the server, a timeout, a full disk.</summary>
    private static bool IsTransient(Exception ex) =>
        ex is HttpRequestException or IOException or OperationCanceledException or Polly.ExecutionRejectedException;

    public Task WaitForRelatedAsync(string path, string? otherPath, CancellationToken cancellationToken)
    {
        Task[] related;
        lock (_lock)
            related = Related(path, otherPath);
        return related.Length == 0 ? Task.CompletedTask : Task.WhenAll(related).WaitAsync(cancellationToken);
    }

    /// <summary>In-flight downloads at, above or below either path. Caller holds the lock.</summary>
    private Task[] Related(string path, string? otherPath) =>
        _inFlight
            .Where(d => d.Task is not null && (Touches(d.Path, path) || (otherPath is not null && Touches(d.Path, otherPath))))
            .Select(d => d.Task!)
            .ToArray();

    private static bool Touches(string a, string b) => PathRules.IsSameOrUnder(a, b) || PathRules.IsSameOrUnder(b, a);

    private Task[] Snapshot()
    {
        lock (_lock)
            return _inFlight.Where(d => d.Task is not null).Select(d => d.Task!).ToArray();
    }

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: {Path} already has the announced size and mtime (mode changed: {Chmodded})")]
    private static partial void LogAlreadyCurrent(ILogger logger, long offset, string path, bool chmodded);

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: {Path} {Result}")]
    private static partial void LogDownloaded(ILogger logger, long offset, string path, DownloadResult result);

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: {Path} is written again by a later event; skipping this version")]
    private static partial void LogSuperseded(ILogger logger, long offset, string path);

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: download of {Path} failed again (attempt {Attempt})")]
    private static partial void LogDownloadStillFailing(ILogger logger, long offset, string path, int attempt, Exception exception);

    [LoggerMessage(LogLevel.Error, "Event {Offset}: download of {Path} failed unexpectedly; the next reconcile repairs it")]
    private static partial void LogDownloadCrashed(ILogger logger, long offset, string path, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Stopping: abandoning {Count} downloads still in flight; they are replayed on the next start")]
    private static partial void LogAbandoning(ILogger logger, int count);
}

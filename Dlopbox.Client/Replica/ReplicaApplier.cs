using System.Diagnostics;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Replica;

internal enum ApplyOutcome
{
    /// <summary>Applied, skipped or refused: either way the stream goes on.</summary>
    Dispatched,

    /// <summary>The replica cannot apply the event from where it stands (a moved dir it does not have): reconcile from a snapshot.</summary>
    ResyncRequired,
}

/// <summary>
/// Applies stream events to the replica in stream order. Local operations (mkdir, delete, move) run at
/// once; writes become downloads that run in parallel, bounded by <see cref="ClientOptions.MaxParallelDownloads"/>.
/// Order is kept where it matters: an event waits for every in-flight download of a path it touches
/// (same path, ancestor or descendant); writes of unrelated paths overlap. Not thread-safe: one
/// dispatcher calls <see cref="ApplyAsync"/>; downloads complete on their own.
/// </summary>
internal sealed partial class ReplicaApplier : IDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// One path is fetched at most this often. A file rewritten many times a second (a log) would
    /// otherwise be fetched once per version, most of them stale on arrival; paced, the versions that
    /// arrive meanwhile supersede each other and only the newest is fetched.
    /// </summary>
    internal static readonly TimeSpan MinFetchIntervalPerPath = TimeSpan.FromMilliseconds(250);

    /// <summary>How long downloads may go on once the host is stopping before they are abandoned.</summary>
    internal static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly ReplicaDirectory _replica;
    private readonly LocalEventRunner _local;
    private readonly MetadataApplier _metadata;
    private readonly FileDownloader _downloader;
    private readonly AppliedOffsetTracker _offsets;
    private readonly UnresolvedFiles _unresolved;
    private readonly ILogger<ReplicaApplier> _logger;
    private readonly SemaphoreSlim _downloadSlots;
    private readonly Lock _lock = new();
    private readonly List<InFlightDownload> _inFlight = [];
    private CancellationTokenSource _abandon = new();
    private readonly Lock _outageLock = new();
    private readonly Dictionary<string, long> _lastFetchStart = new(StringComparer.Ordinal);
    private readonly ClientTelemetry? _telemetry;
    private readonly SyncProgress? _progress;
    private long _downloadOutageStart;

    /// <summary>The span of the event being dispatched, until a download takes it over (it then ends with the download).</summary>
    private Activity? _applying;

    public ReplicaApplier(
        ReplicaDirectory replica,
        FileDownloader downloader,
        AppliedOffsetTracker offsets,
        UnresolvedFiles unresolved,
        IOptions<ClientOptions> options,
        ILogger<ReplicaApplier> logger,
        ClientTelemetry? telemetry = null,
        SyncProgress? progress = null)
    {
        _telemetry = telemetry;
        _progress = progress;
        _replica = replica;
        _downloader = downloader;
        _offsets = offsets;
        _unresolved = unresolved;
        _logger = logger;
        _local = new LocalEventRunner(offsets, logger, progress);
        _metadata = new MetadataApplier(replica, unresolved, _local, logger);
        _downloadSlots = new SemaphoreSlim(options.Value.MaxParallelDownloads, options.Value.MaxParallelDownloads);
    }

    public int InFlightCount
    {
        get
        {
            lock (_lock)
                return _inFlight.Count;
        }
    }

    /// <summary>
    /// <see cref="ApplyAsync(long, FileChange, CancellationToken)"/> for a stream message, under its span
    /// "apply {kind}": a child of <paramref name="traceParent"/> (the delivery's or the publisher's context), linked
    /// to <paramref name="delivered"/> when given. A write's span ends when its download does.
    /// </summary>
    public async Task<ApplyOutcome> ApplyAsync(long offset, ChangeRecord record, ActivityContext traceParent, ActivityContext delivered,
        CancellationToken cancellationToken)
    {
        _telemetry?.Dispatching(offset, record.ReceivedAt);
        _applying = ClientTelemetry.StartApply(offset, record.Change, traceParent, delivered);
        try
        {
            return await ApplyAsync(offset, record.Change, cancellationToken);
        }
        finally
        {
            // Not taken over by a download: the event is applied (or refused) by now.
            _applying?.Stop();
            _applying = null;
        }
    }

    /// <summary>
    /// Applies (or starts applying) the event at <paramref name="offset"/>. Returns once the event is
    /// dispatched: a write may still be downloading; <see cref="AppliedOffsetTracker"/> knows when it is done.
    /// </summary>
    public async Task<ApplyOutcome> ApplyAsync(long offset, FileChange change, CancellationToken cancellationToken)
    {
        if (!TryCheck(offset, change.Kind, change.Path))
        {
            _offsets.Done(offset);
            return ApplyOutcome.Dispatched;
        }
        switch (change.Kind)
        {
            case ChangeKind.Write:
                if (change is not { Size: { } size, Mtime: { } mtime, Sha256: { } sha256 })
                {
                    _local.Malformed(offset, change, "a write needs size, mtime and sha256");
                    return ApplyOutcome.Dispatched;
                }
                await StartWriteAsync(offset, change.Path, new ExpectedContent(size, mtime, sha256, change.Mode), cancellationToken);
                return ApplyOutcome.Dispatched;

            case ChangeKind.Mkdir:
                await WaitForRelatedAsync(change.Path, null, cancellationToken);
                for (var path = change.Path; path is not null; path = PathRules.Parent(path))
                    _unresolved.RemoveExact(path);
                _local.Run(offset, change, () => _replica.EnsureDirectory(change.Path, change.Mode));
                return ApplyOutcome.Dispatched;

            case ChangeKind.Delete:
                await WaitForRelatedAsync(change.Path, null, cancellationToken);
                _unresolved.Remove(change.Path);
                _local.Run(offset, change, () => _replica.Delete(change.Path));
                return ApplyOutcome.Dispatched;

            case ChangeKind.Move:
                return await ApplyMoveAsync(offset, change, cancellationToken);

            case ChangeKind.Symlink or ChangeKind.Attrib:
                await WaitForRelatedAsync(change.Path, null, cancellationToken);
                _metadata.Apply(offset, change);
                return ApplyOutcome.Dispatched;

            default:
                _local.Malformed(offset, change, "unknown kind");
                return ApplyOutcome.Dispatched;
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
        Log.Abandoning(_logger, InFlightCount);
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

    private async Task<ApplyOutcome> ApplyMoveAsync(long offset, FileChange change, CancellationToken cancellationToken)
    {
        if (!TryCheck(offset, change.Kind, change.OldPath))
        {
            _offsets.Done(offset);
            return ApplyOutcome.Dispatched;
        }
        var fromPath = change.OldPath!;
        if (string.Equals(fromPath, change.Path, StringComparison.Ordinal))
        {
            _offsets.Done(offset);
            return ApplyOutcome.Dispatched;
        }
        if (PathRules.IsSameOrUnder(change.Path, fromPath))
        {
            _local.Malformed(offset, change, $"cannot move '{fromPath}' into itself");
            return ApplyOutcome.Dispatched;
        }

        await WaitForRelatedAsync(fromPath, change.Path, cancellationToken);
        if (!change.IsDir)
        {
            // A file move carries the file's content description: the fallback below covers a missing source.
            _unresolved.Remove(fromPath);
            _unresolved.RemoveExact(change.Path);
        }
        if (_replica.Probe(fromPath) != LocalKind.None)
        {
            _offsets.Begin(offset);
            try
            {
                _local.RunWithin(offset, change, () => _replica.Move(fromPath, change.Path));
                if (change.IsDir)
                    await RefetchMovedAsync(offset, fromPath, change.Path, cancellationToken);
            }
            finally
            {
                _offsets.Complete(offset);
            }
            return ApplyOutcome.Dispatched;
        }

        // The source is missing: this event was applied before (a replay after a restart), or the replica
        // never had it (a write skipped because the file had changed again). Either way, the destination can be rebuilt.
        if (!change.IsDir && change.Target is { } target)
        {
            _local.Run(offset, change, () => _replica.SetSymlink(change.Path, target, change.Mtime));
            return ApplyOutcome.Dispatched;
        }
        if (!change.IsDir && change is { Size: { } size, Mtime: { } mtime, Sha256: { } sha256 })
        {
            await StartWriteAsync(offset, change.Path, new ExpectedContent(size, mtime, sha256, change.Mode), cancellationToken);
            return ApplyOutcome.Dispatched;
        }
        if (change.IsDir && _replica.Probe(change.Path) == LocalKind.Directory)
        {
            Log.MoveAlreadyApplied(_logger, offset, fromPath, change.Path);
            _offsets.Begin(offset);
            try
            {
                await RefetchMovedAsync(offset, fromPath, change.Path, cancellationToken);
            }
            finally
            {
                _offsets.Complete(offset);
            }
            return ApplyOutcome.Dispatched;
        }
        Log.MoveSourceMissing(_logger, offset, fromPath, change.Path);
        return ApplyOutcome.ResyncRequired;
    }

    /// <summary>Fetches again, under their new names, the files of a moved dir whose downloads had found nothing.</summary>
    private async Task RefetchMovedAsync(long offset, string fromPath, string toPath, CancellationToken cancellationToken)
    {
        foreach (var (path, expected) in _unresolved.Move(fromPath, toPath))
        {
            if (!TryCheck(offset, ChangeKind.Write, path))
            {
                _unresolved.RemoveExact(path);
                continue;
            }
            Log.Refetching(_logger, offset, path);
            await StartWriteAsync(offset, path, expected, cancellationToken, partOfEarlierOffset: true);
        }
    }

    /// <summary>
    /// Starts a download under <paramref name="offset"/>: a new offset, or (when <paramref name="partOfEarlierOffset"/>)
    /// one more piece of an offset already begun, which then stays unapplied until this piece is done too.
    /// </summary>
    private async Task StartWriteAsync(long offset, string path, ExpectedContent expected, CancellationToken cancellationToken, bool partOfEarlierOffset = false)
    {
        // Taking the slot here, not in the download, bounds how far the dispatcher runs ahead.
        await _downloadSlots.WaitAsync(cancellationToken);
        if (partOfEarlierOffset)
            _offsets.Retain(offset);
        else
            _offsets.Begin(offset);
        var download = new InFlightDownload(path);
        if (!partOfEarlierOffset)
        {
            // The event's span now ends with this download; Activity.Current (that span) flows into it.
            download.Span = _applying;
            _applying = null;
        }
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
            var delay = FirstRetryDelay;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    if (!download.Superseded && TimeUntilFetchAllowed(download.Path) is { } pace)
                        await Task.Delay(pace, abandon);
                    if (download.Superseded)
                    {
                        Log.Superseded(_logger, offset, download.Path);
                        download.Span?.SetTag(ResultTag, "superseded");
                        break;
                    }
                    RecordFetchStart(download.Path);
                    if (expected.Mtime is { } mtime && _replica.Compare(download.Path, expected.Size, mtime, expected.Mode) is var state and not ContentState.Differs)
                    {
                        // Same bytes by size and mtime; a chmod is all a mode change needs.
                        if (state == ContentState.ModeDiffers)
                            _replica.SetAttributes(download.Path, expected.Mode!.Value, null);
                        Log.AlreadyCurrent(_logger, offset, download.Path, state == ContentState.ModeDiffers);
                        download.Span?.SetTag(ResultTag, state == ContentState.ModeDiffers ? "chmod" : "current");
                        _unresolved.RemoveExact(download.Path);
                        break;
                    }
                    var result = await _downloader.DownloadAsync(download.Path, expected, abandon);
                    EndDownloadOutage();
                    Log.Downloaded(_logger, offset, download.Path, result);
                    download.Span?.SetTag(ResultTag, ResultName(result));
                    if (result == DownloadResult.NotFound)
                        _unresolved.Add(download.Path, expected);
                    else
                        _unresolved.RemoveExact(download.Path);
                    if (result == DownloadResult.Rejected)
                        _progress?.RecordError($"the file server refused {download.Path}");
                    break;
                }
                catch (Exception ex) when (!abandon.IsCancellationRequested && IsTransient(ex))
                {
                    // Network or server trouble: retry until it works or we stop; the offset waits meanwhile.
                    BeginDownloadOutage(ex.Message);
                    Log.DownloadStillFailing(_logger, offset, download.Path, attempt, ex);
                    _telemetry?.Retrying("download");
                    download.Span?.AddEvent(new ActivityEvent("retry"));
                    await Task.Delay(delay, abandon);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                }
            }
            _offsets.Complete(offset);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            // Abandoned at shutdown: the offset stays unapplied and the event is replayed on the next start.
        }
        catch (UnsafePathException ex)
        {
            // A link planted on the way since the event was checked: refused all the same.
            _local.Refused(offset, ChangeKind.Write, download.Path, ex.Reason);
            _offsets.Complete(offset);
        }
        catch (Exception ex)
        {
            Log.DownloadCrashed(_logger, offset, download.Path, ex);
            _progress?.RecordError($"download of {download.Path} failed: {ex.Message}");
            download.Span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            _offsets.Complete(offset);
        }
        finally
        {
            lock (_lock)
                _inFlight.Remove(download);
            _downloadSlots.Release();
            download.Span?.Stop();
        }
    }

    /// <summary>How long until <paramref name="path"/> may be fetched again (see <see cref="MinFetchIntervalPerPath"/>); null when it may now.</summary>
    private TimeSpan? TimeUntilFetchAllowed(string path)
    {
        lock (_lock)
        {
            if (!_lastFetchStart.TryGetValue(path, out var last))
                return null;
            var wait = MinFetchIntervalPerPath - Stopwatch.GetElapsedTime(last);
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    private void RecordFetchStart(string path)
    {
        lock (_lock)
        {
            // Only recent fetches matter: forget the old ones now and then, so the map stays small.
            if (_lastFetchStart.Count >= 4096)
            {
                foreach (var stale in _lastFetchStart.Where(e => Stopwatch.GetElapsedTime(e.Value) >= MinFetchIntervalPerPath).Select(e => e.Key).ToList())
                    _lastFetchStart.Remove(stale);
            }
            _lastFetchStart[path] = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// While the file server is away every parallel download fails and retries: one warning when the first
    /// fails, one line when one works again, not one per file and attempt.
    /// </summary>
    private void BeginDownloadOutage(string reason)
    {
        lock (_outageLock)
        {
            if (_downloadOutageStart != 0)
                return;
            _downloadOutageStart = Stopwatch.GetTimestamp();
        }
        Log.DownloadsFailing(_logger, reason, MaxRetryDelay.TotalSeconds);
        _progress?.RecordError($"downloads are failing: {reason}");
    }

    private void EndDownloadOutage()
    {
        TimeSpan duration;
        lock (_outageLock)
        {
            if (_downloadOutageStart == 0)
                return;
            duration = Stopwatch.GetElapsedTime(_downloadOutageStart);
            _downloadOutageStart = 0;
        }
        Log.DownloadsWorkAgain(_logger, duration.TotalSeconds);
    }

    /// <summary>Failures that time cures: the network, the server, a timeout, a full disk.</summary>
    private static bool IsTransient(Exception ex) =>
        ex is HttpRequestException or IOException or OperationCanceledException or Polly.ExecutionRejectedException;

    private Task WaitForRelatedAsync(string path, string? otherPath, CancellationToken cancellationToken)
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

    private bool TryCheck(long offset, ChangeKind kind, string? path)
    {
        try
        {
            _replica.Check(path);
            return true;
        }
        catch (UnsafePathException ex)
        {
            _local.Refused(offset, kind, path, ex.Reason);
            return false;
        }
    }

    private sealed class InFlightDownload(string path)
    {
        public string Path { get; } = path;

        /// <summary>Set by the dispatcher right after the download starts.</summary>
        public Task? Task { get; set; }

        /// <summary>A later write of the same path was dispatched: this one need not fetch anything any more.</summary>
        public volatile bool Superseded;

        /// <summary>The span of the event this download applies; it ends with the download.</summary>
        public Activity? Span { get; set; }
    }

    private const string ResultTag = "dlopbox.download.result";

    private static string ResultName(DownloadResult result) => result switch
    {
        DownloadResult.Written => "written",
        DownloadResult.NotFound => "not_found",
        DownloadResult.Changed => "changed",
        DownloadResult.Rejected => "rejected",
        _ => "unknown",
    };

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Debug, "Event {Offset}: fetching {Path} again under the name its dir was moved to")]
        public static partial void Refetching(ILogger logger, long offset, string path);

        [LoggerMessage(LogLevel.Debug, "Event {Offset}: {Path} already has the announced size and mtime (mode changed: {Chmodded})")]
        public static partial void AlreadyCurrent(ILogger logger, long offset, string path, bool chmodded);

        [LoggerMessage(LogLevel.Debug, "Event {Offset}: {Path} {Result}")]
        public static partial void Downloaded(ILogger logger, long offset, string path, DownloadResult result);

        [LoggerMessage(LogLevel.Debug, "Event {Offset}: {Path} is written again by a later event; skipping this version")]
        public static partial void Superseded(ILogger logger, long offset, string path);

        [LoggerMessage(LogLevel.Warning, "Downloads are failing ({Reason}); retrying each with backoff (at most {MaxDelaySeconds} s apart) until they work")]
        public static partial void DownloadsFailing(ILogger logger, string reason, double maxDelaySeconds);

        [LoggerMessage(LogLevel.Information, "Downloads work again after {Seconds:0.0} s")]
        public static partial void DownloadsWorkAgain(ILogger logger, double seconds);

        [LoggerMessage(LogLevel.Debug, "Event {Offset}: download of {Path} failed again (attempt {Attempt})")]
        public static partial void DownloadStillFailing(ILogger logger, long offset, string path, int attempt, Exception exception);

        [LoggerMessage(LogLevel.Error, "Event {Offset}: download of {Path} failed unexpectedly; the next reconcile repairs it")]
        public static partial void DownloadCrashed(ILogger logger, long offset, string path, Exception exception);

        [LoggerMessage(LogLevel.Debug, "Event {Offset}: move of dir {OldPath} to {Path} already applied")]
        public static partial void MoveAlreadyApplied(ILogger logger, long offset, string oldPath, string path);

        [LoggerMessage(LogLevel.Warning, "Event {Offset}: cannot move dir {OldPath} to {Path}: the replica has neither; resyncing from a snapshot")]
        public static partial void MoveSourceMissing(ILogger logger, long offset, string oldPath, string path);

        [LoggerMessage(LogLevel.Warning, "Stopping: abandoning {Count} downloads still in flight; they are replayed on the next start")]
        public static partial void Abandoning(ILogger logger, int count);
    }
}

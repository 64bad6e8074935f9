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
/// Applies stream events to the replica in stream order. Local operations (mkdir, delete, move, and the
/// symlinks and attribs of <see cref="MetadataApplier"/>) run at once; writes become downloads that run in
/// parallel (<see cref="DownloadScheduler"/>).
/// Order is kept where it matters: an event waits for every in-flight download of a path it touches
/// (same path, ancestor or descendant); writes of unrelated paths overlap. Not thread-safe: one
/// dispatcher calls <see cref="ApplyAsync"/>; downloads complete on their own.
/// </summary>
internal sealed partial class ReplicaApplier : IDisposable
{
    private readonly ReplicaDirectory _replica;
    private readonly LocalEventRunner _local;
    private readonly MetadataApplier _metadata;
    private readonly DownloadScheduler _downloads;
    private readonly AppliedOffsetTracker _offsets;
    private readonly UnresolvedFiles _unresolved;
    private readonly ILogger<ReplicaApplier> _logger;
    private readonly ClientTelemetry _telemetry;

    /// <summary>The span of the event being dispatched, until a download takes it over (it then ends with the download).</summary>
    private Activity? _applying;

    public ReplicaApplier(
        ReplicaDirectory replica,
        FileDownloader downloader,
        AppliedOffsetTracker offsets,
        UnresolvedFiles unresolved,
        IOptions<ClientOptions> options,
        ILogger<ReplicaApplier> logger,
        ClientTelemetry telemetry,
        SyncProgress progress,
        TimeProvider time)
    {
        _telemetry = telemetry;
        _replica = replica;
        _offsets = offsets;
        _unresolved = unresolved;
        _logger = logger;
        _local = new LocalEventRunner(offsets, logger, progress);
        _metadata = new MetadataApplier(replica, unresolved, _local, logger);
        _downloads = new DownloadScheduler(replica, downloader, offsets, unresolved, _local, options, logger, telemetry, progress, time);
    }

    public int InFlightCount => _downloads.InFlightCount;

    /// <summary>
    /// <see cref="ApplyAsync(long, FileChange, CancellationToken)"/> for a stream message, under its span
    /// "apply {kind}": a child of <paramref name="traceParent"/> (the delivery's or the publisher's context), linked
    /// to <paramref name="delivered"/> when given. A write's span ends when its download does.
    /// </summary>
    public async Task<ApplyOutcome> ApplyAsync(long offset, ChangeRecord record, ActivityContext traceParent, ActivityContext delivered,
        CancellationToken cancellationToken)
    {
        _telemetry.Dispatching(offset, record.ReceivedAt);
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
                await _downloads.WaitForRelatedAsync(change.Path, null, cancellationToken);
                for (var path = change.Path; path is not null; path = PathRules.Parent(path))
                    _unresolved.RemoveExact(path);
                _local.Run(offset, change, () => _replica.EnsureDirectory(change.Path, change.Mode));
                return ApplyOutcome.Dispatched;

            case ChangeKind.Delete:
                await _downloads.WaitForRelatedAsync(change.Path, null, cancellationToken);
                _unresolved.Remove(change.Path);
                _local.Run(offset, change, () => _replica.Delete(change.Path));
                return ApplyOutcome.Dispatched;

            case ChangeKind.Move:
                return await ApplyMoveAsync(offset, change, cancellationToken);

            case ChangeKind.Symlink or ChangeKind.Attrib:
                await _downloads.WaitForRelatedAsync(change.Path, null, cancellationToken);
                _metadata.Apply(offset, change);
                return ApplyOutcome.Dispatched;

            default:
                _local.Malformed(offset, change, "unknown kind");
                return ApplyOutcome.Dispatched;
        }
    }

    /// <inheritdoc cref="DownloadScheduler.DrainAsync"/>
    public Task DrainAsync(CancellationToken stopping, TimeSpan? grace = null) => _downloads.DrainAsync(stopping, grace);

    public void Dispose() => _downloads.Dispose();

    /// <summary>Starts the download of a write under a new offset; the event's span now ends with it.</summary>
    private Task StartWriteAsync(long offset, string path, ExpectedContent expected, CancellationToken cancellationToken)
    {
        var span = _applying;
        _applying = null;
        return _downloads.StartAsync(offset, path, expected, span, cancellationToken);
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

        await _downloads.WaitForRelatedAsync(fromPath, change.Path, cancellationToken);
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
            LogMoveAlreadyApplied(_logger, offset, fromPath, change.Path);
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
        LogMoveSourceMissing(_logger, offset, fromPath, change.Path);
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
            LogRefetching(_logger, offset, path);
            await _downloads.StartAsync(offset, path, expected, null, cancellationToken, partOfEarlierOffset: true);
        }
    }

    private bool TryCheck(long offset, ChangeKind kind, string? path)
    {
        try
        {
            // A write's download resolves its path by fds (refusing links) before fetching: here, the string only.
            if (kind == ChangeKind.Write)
                ReplicaRoot.CheckString(path);
            else
                _replica.Check(path);
            return true;
        }
        catch (UnsafePathException ex)
        {
            _local.Refused(offset, kind, path, ex.Reason);
            return false;
        }
    }

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: fetching {Path} again under the name its dir was moved to")]
    private static partial void LogRefetching(ILogger logger, long offset, string path);

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: move of dir {OldPath} to {Path} already applied")]
    private static partial void LogMoveAlreadyApplied(ILogger logger, long offset, string oldPath, string path);

    [LoggerMessage(LogLevel.Warning, "Event {Offset}: cannot move dir {OldPath} to {Path}: the replica has neither; resyncing from a snapshot")]
    private static partial void LogMoveSourceMissing(ILogger logger, long offset, string oldPath, string path);
}

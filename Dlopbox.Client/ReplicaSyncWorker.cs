using Dlopbox.Client.Broker;
using Dlopbox.Client.Drift;
using Dlopbox.Client.Replica;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Dlopbox.EventBus;
using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client;

/// <summary>
/// Keeps the replica in step with the master: resumes from the saved offset (or reconciles from a
/// snapshot), follows the event stream, reconnects after outages from its own applied offset, falls back
/// to a snapshot when the stream can no longer bring it up to date, and saves the applied offset as it goes.
/// Its phase and failures go to <see cref="SyncProgress"/>, from where they are reported. Local drift (someone
/// else changing the replica) ends the session like a retention gap: a reconcile from a fresh snapshot puts it back.
/// The applied offset is saved with the epoch of its stream; a session whose probe finds another stream follows it from 0.
/// </summary>
internal sealed partial class ReplicaSyncWorker(
    StreamSessionOpener opener,
    ReplicaApplier applier,
    SnapshotReconciler reconciler,
    ClientStateStore store,
    AppliedOffsetTracker offsets,
    ReplicaDirectory replica,
    ReplicaDriftWatcher drift,
    SyncProgress progress,
    IOptions<ClientOptions> options,
    TimeProvider time,
    ILogger<ReplicaSyncWorker> logger) : BackgroundService
{
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>Acks are batched: one per this many deliveries, or whenever the buffer runs dry.</summary>
    private const int AckBatch = 100;

    private bool _driftSeen;

    /// <summary>The epoch of the stream the applied offset belongs to; read by the checkpoints while the pump may adopt one.</summary>
    private volatile string? _epoch;

    /// <summary>The session's probe found the stream empty: the first record delivered tells its epoch.</summary>
    private bool _epochUnknown;

    private enum SessionEnd
    {
        Disconnected,
        ResyncRequired,

        /// <summary>The replica was changed locally: reconcile, then follow from the snapshot's offset.</summary>
        DriftRepair,
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        Directory.CreateDirectory(settings.ReplicaDir);
        Directory.CreateDirectory(settings.StateDir);
        var replicaDir = Path.GetFullPath(settings.ReplicaDir);
        if (settings.WatchReplica)
            drift.Start();

        try
        {
            if (await store.LoadAsync(stoppingToken) is { } saved)
            {
                LogResuming(logger, replicaDir, saved.Offset);
                // A crash (SIGKILL, power loss) mid-download leaves its temp file; a resume skips the
                // reconcile that would remove it, so sweep here: a metadata walk, no download.
                if (replica.DeleteTempFiles() is > 0 and var leftovers)
                    LogRemovedTempFiles(logger, leftovers);
                offsets.Reset(saved.Offset);
                _epoch = saved.Epoch;
            }
            else
            {
                LogNoState(logger, replicaDir);
                await ResyncAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                var end = await FollowStreamAsync(stoppingToken);
                // Drift may also be seen as the session ends for another reason: it is repaired all the same.
                if (end == SessionEnd.DriftRepair || _driftSeen)
                {
                    _driftSeen = false;
                    var repaired = await ResyncAsync(stoppingToken);
                    progress.AddRepaired(repaired);
                    LogDriftRepaired(logger, repaired);
                }
                else if (end == SessionEnd.ResyncRequired)
                {
                    await ResyncAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One subscription, from the applied offset to its end. Leaves nothing in flight and the offset saved.</summary>
    private async Task<SessionEnd> FollowStreamAsync(CancellationToken stoppingToken)
    {
        // Anything abandoned earlier is replayed: start right after what is fully applied.
        offsets.Reset(offsets.Watermark);
        var (subscription, plan) = await opener.OpenAsync(_epoch, offsets.Watermark, stoppingToken);
        if (plan.IsNewStream)
        {
            LogNewStream(logger, plan.Epoch ?? "unknown", _epoch ?? "none");
            offsets.Reset(-1);
        }
        _epoch = plan.Epoch;
        _epochUnknown = plan.EpochUnknown;
        var from = plan.From;
        // Following is what readiness means (ReplicaReadinessCheck): set only while subscribed, and left below
        // before the subscription is.
        progress.SetPhase(ClientPhase.Following);
        LogFollowing(logger, options.Value.StreamName, from);

        using var stopCheckpoints = new CancellationTokenSource();
        var checkpoints = CheckpointAsync(stopCheckpoints.Token);
        // Drift ends the pump's wait for the next delivery (an event being applied is finished first).
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var drifted = options.Value.WatchReplica ? WatchDriftAsync(session) : Task.FromResult(false);
        try
        {
            SessionEnd end;
            try
            {
                end = await PumpAsync(subscription, from, session.Token, stoppingToken);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Only drift cancels the session without the stopping token.
                end = SessionEnd.DriftRepair;
            }
            if (end is SessionEnd.ResyncRequired or SessionEnd.DriftRepair)
            {
                progress.SetPhase(ClientPhase.Reconciling);
            }
            else if (!stoppingToken.IsCancellationRequested)
            {
                opener.StreamLost();
                LogStreamLost(logger, subscription.EndReason ?? "unknown", offsets.Watermark + 1);
                progress.SetPhase(ClientPhase.Disconnected);
                progress.RecordError($"lost the event stream: {subscription.EndReason ?? "unknown"}");
            }
            return end;
        }
        finally
        {
            await session.CancelAsync();
            await drifted;
            await subscription.DisposeAsync();
            await applier.DrainAsync(stoppingToken);
            await stopCheckpoints.CancelAsync();
            await checkpoints;
            await store.SaveAsync(_epoch, offsets.Watermark, CancellationToken.None);
        }
    }

    /// <summary>True when drift was seen (and <paramref name="session"/> cancelled for it); false when the session ended first.</summary>
    private async Task<bool> WatchDriftAsync(CancellationTokenSource session)
    {
        try
        {
            await drift.WaitAsync(session.Token);
            _driftSeen = true;
            await session.CancelAsync();
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<SessionEnd> PumpAsync(StreamSubscription subscription, long from, CancellationToken session, CancellationToken stoppingToken)
    {
        var first = true;
        var unacked = 0;
        await foreach (var delivery in subscription.Messages.ReadAllAsync(session))
        {
            unacked++;
            if (delivery.Offset is not { } offset)
            {
                LogUnreadable(logger, null, delivery.Error);
            }
            else if (offset > offsets.LastDispatched)
            {
                if (first && offset > from)
                {
                    LogRetentionGap(logger, from, offset);
                    return SessionEnd.ResyncRequired;
                }
                first = false;
                if (_epochUnknown && delivery.Record is { } adopted)
                {
                    // Every record of one stream carries its epoch: the next session's probe compares against it.
                    _epoch = adopted.Epoch;
                    _epochUnknown = false;
                }
                if (delivery.Record is not { } record)
                {
                    LogUnreadable(logger, offset, delivery.Error);
                    offsets.Done(offset);
                }
                else if (await applier.ApplyAsync(offset, record, delivery.TraceParent, delivery.Delivered, stoppingToken) == ApplyOutcome.ResyncRequired)
                {
                    return SessionEnd.ResyncRequired;
                }
            }
            // else: the broker starts at the chunk holding the offset asked for; older messages are already applied.

            if (unacked >= AckBatch || subscription.Messages.Count == 0)
            {
                await subscription.AckAsync(delivery.DeliveryTag, stoppingToken);
                unacked = 0;
            }
        }
        return SessionEnd.Disconnected;
    }

    /// <summary>Reconciles from a fresh snapshot, retrying until the Interface and nginx cooperate; returns the changes it made.</summary>
    private async Task<int> ResyncAsync(CancellationToken stoppingToken)
    {
        progress.SetPhase(ClientPhase.Reconciling);
        // The reconcile's own writes are not drift; whatever drifted before is put back by it.
        drift.Suspend();
        try
        {
            return await ReconcileWithRetriesAsync(stoppingToken);
        }
        finally
        {
            drift.Resume();
        }
    }

    private async Task<int> ReconcileWithRetriesAsync(CancellationToken stoppingToken)
    {
        // Without a state file a crash mid-reconcile restarts from a snapshot, never from a stale offset.
        store.Delete();
        var backoff = new Backoff(FirstRetryDelay, MaxRetryDelay, time);
        var outage = new OutageLog(time);
        while (true)
        {
            try
            {
                var (offset, epoch, changes) = await reconciler.ReconcileAsync(stoppingToken);
                offsets.Reset(offset);
                _epoch = epoch;
                _epochUnknown = false;
                await store.SaveAsync(epoch, offset, stoppingToken);
                if (outage.Succeeded() is not null)
                    LogResyncRecovered(logger);
                return changes;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (outage.Failed())
                    LogResyncFailing(logger, ex);
                progress.RecordError($"reconcile from snapshot failed: {ex.Message}");
            }
            await backoff.WaitAsync(stoppingToken);
        }
    }

    /// <summary>Saves the applied offset whenever it moved, at most every <see cref="CheckpointInterval"/>.</summary>
    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        var saved = offsets.Watermark;
        var savedEpoch = _epoch;
        var outage = new OutageLog(time);
        using var timer = new PeriodicTimer(CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var applied = offsets.Watermark;
                var epoch = _epoch;
                if (applied == saved && epoch == savedEpoch)
                    continue;
                try
                {
                    await store.SaveAsync(epoch, applied, cancellationToken);
                    (saved, savedEpoch) = (applied, epoch);
                    if (outage.Succeeded() is not null)
                        LogCheckpointRecovered(logger);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Retried at the next tick; logged once per outage, not five times a second.
                    if (outage.Failed())
                        LogCheckpointFailed(logger, ex);
                    progress.RecordError($"could not save the applied offset: {ex.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Information, "Replica {ReplicaDir} resuming at offset {Offset}")]
    private static partial void LogResuming(ILogger logger, string replicaDir, long offset);

    [LoggerMessage(LogLevel.Information, "Removed {Count} temp files left by an interrupted run")]
    private static partial void LogRemovedTempFiles(ILogger logger, int count);

    [LoggerMessage(LogLevel.Information, "Replica {ReplicaDir} has no state: syncing from snapshot")]
    private static partial void LogNoState(ILogger logger, string replicaDir);

    [LoggerMessage(LogLevel.Information, "Following stream {Stream} from offset {Offset}")]
    private static partial void LogFollowing(ILogger logger, string stream, long offset);

    [LoggerMessage(LogLevel.Warning, "Stream retention dropped events the replica needs: expected offset {Expected}, first available is {Actual}; resyncing from a snapshot")]
    private static partial void LogRetentionGap(ILogger logger, long expected, long actual);

    [LoggerMessage(LogLevel.Warning, "The event stream is new (epoch {New}, was {Old}): following it from offset 0; the watcher sends the master again")]
    private static partial void LogNewStream(ILogger logger, string @new, string old);

    [LoggerMessage(LogLevel.Warning, "Skipped unreadable stream message at offset {Offset}: {Error}")]
    private static partial void LogUnreadable(ILogger logger, long? offset, string? error);

    [LoggerMessage(LogLevel.Warning, "Lost the event stream ({Reason}); reconnecting, resuming at offset {Offset}")]
    private static partial void LogStreamLost(ILogger logger, string reason, long offset);

    [LoggerMessage(LogLevel.Warning, "Reconcile from snapshot failed; retrying")]
    private static partial void LogResyncFailing(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Information, "Reconcile from snapshot succeeded after earlier failures")]
    private static partial void LogResyncRecovered(ILogger logger);

    [LoggerMessage(LogLevel.Information, "Put back the master's state over local changes to the replica: {Changes} changes")]
    private static partial void LogDriftRepaired(ILogger logger, int changes);

    [LoggerMessage(LogLevel.Error, "Could not save the applied offset; retrying")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Information, "Saving the applied offset works again")]
    private static partial void LogCheckpointRecovered(ILogger logger);
}

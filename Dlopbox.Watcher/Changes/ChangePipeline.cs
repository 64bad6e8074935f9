using Dlopbox.Contracts;
using Dlopbox.Watcher.State;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// Drains <see cref="PendingChanges"/> through the <see cref="ChangeEmitter"/> into batches for the
/// <see cref="IChangeSink"/>, one batch in flight at a time. No debounce: a batch leaves as soon as ops
/// are there; while it is in flight new ops pile up and coalesce. Accepted changes update the
/// acknowledged index, which is persisted at most about once a second under load and whenever idle.
/// Every answer may name the stream's epoch; when idle for <see cref="WatcherOptions.EpochCheckInterval"/>
/// an empty batch asks for it. A new epoch means the stream lost everything: the master is sent again.
/// </summary>
internal sealed partial class ChangePipeline(
    PendingChanges pending,
    ChangeEmitter emitter,
    IChangeSink sink,
    WatcherStateStore store,
    WatcherState state,
    IOptions<WatcherOptions> options,
    ILogger<ChangePipeline> logger,
    WatcherTelemetry telemetry,
    TimeProvider time)
{
    private static readonly TimeSpan PersistEvery = TimeSpan.FromSeconds(1);

    private readonly int _maxBatchSize = options.Value.MaxBatchSize;
    private readonly TimeSpan _epochCheckInterval = options.Value.EpochCheckInterval;
    private readonly StreamEpochGuard _epoch = new(logger);
    private readonly List<FileChange> _outbox = [];
    private long _delivered;
    private long? _readyAfterDelivered;
    private bool _unsaved;
    private long _lastSaveTimestamp;
    private long _lastDeliveryTimestamp;

    /// <summary>What the sink accepted; this, not the emitter's index, is what gets persisted.</summary>
    public TreeIndex Acknowledged { get; private set; } = new();

    public async Task LoadStateAsync(CancellationToken cancellationToken)
    {
        var loaded = await store.LoadStateAsync(cancellationToken);
        Acknowledged = loaded.Acknowledged;
        _epoch.Epoch = loaded.Epoch;
        emitter.Reset(Acknowledged.Clone());
        _lastSaveTimestamp = time.GetTimestamp();
        _lastDeliveryTimestamp = time.GetTimestamp();
    }

    /// <summary>The epoch of the stream <see cref="Acknowledged"/> was sent to (null: before epochs, or not known yet).</summary>
    public string? Epoch => _epoch.Epoch;

    /// <summary>Runs until <paramref name="stoppingToken"/> fires, then delivers what it can for a bounded time and saves the state.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                if (_outbox.Count == 0 && pending.Count == 0)
                {
                    await SaveIfUnsavedAsync(stoppingToken);
                    if (!await WaitForOpsAsync(stoppingToken))
                    {
                        await DeliverAsync([], stoppingToken);
                        continue;
                    }
                }
                await StepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        using var drain = new CancellationTokenSource(options.Value.ShutdownDrainTimeout);
        try
        {
            while (_outbox.Count > 0 || pending.Count > 0)
                await StepAsync(drain.Token);
        }
        catch (OperationCanceledException) when (drain.IsCancellationRequested)
        {
            LogUndelivered(logger, _outbox.Count, pending.Count);
        }
        await SaveIfUnsavedAsync(CancellationToken.None);
    }

    /// <summary>Emits ops until a batch is full (or none are left), then delivers one batch.</summary>
    private async Task StepAsync(CancellationToken cancellationToken)
    {
        while (_outbox.Count < _maxBatchSize && pending.TryTake(out var op))
        {
            var emitted = _outbox.Count;
            var detectStart = WatcherTelemetry.DetectStart(time);
            await emitter.ApplyAsync(op, _outbox, cancellationToken);
            if (_outbox.Count > emitted)
                telemetry.Detected(_outbox, emitted, detectStart);
            // The first rescan is the startup one: ready once everything it produced is delivered.
            if (op is ChangeOp.Rescan && _readyAfterDelivered is null)
                _readyAfterDelivered = _delivered + _outbox.Count;
        }

        if (_outbox.Count > 0)
        {
            var batch = _outbox.GetRange(0, Math.Min(_outbox.Count, _maxBatchSize));
            await DeliverAsync(batch, cancellationToken);
            _outbox.RemoveRange(0, batch.Count);
            _delivered += batch.Count;
        }

        if (_delivered >= _readyAfterDelivered && !state.IsReady)
        {
            state.MarkReady();
            LogReady(logger, _delivered);
        }
    }

    /// <summary>Waits for ops; false when none came within the epoch check interval of the last delivery (time to probe).</summary>
    private async Task<bool> WaitForOpsAsync(CancellationToken stoppingToken)
    {
        var idle = time.GetElapsedTime(_lastDeliveryTimestamp);
        if (idle >= _epochCheckInterval)
            return false;
        using var timeout = new CancellationTokenSource(_epochCheckInterval - idle, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await pending.WaitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Delivers <paramref name="batch"/> (empty: an epoch probe) and records what was accepted, and where.</summary>
    private async Task DeliverAsync(List<FileChange> batch, CancellationToken cancellationToken)
    {
        var delivery = await sink.DeliverAsync(batch, cancellationToken);
        _lastDeliveryTimestamp = time.GetTimestamp();
        var verdict = _epoch.Observe(delivery.Epoch, Acknowledged.Count == 0);
        if (verdict == EpochVerdict.NewStream)
        {
            // The new stream holds only what this delivery took. The emitter tells the rest again at the
            // rescan (the outbox goes as well: duplicates are harmless downstream).
            Acknowledged = new TreeIndex();
            foreach (var change in delivery.Accepted)
                Acknowledged.Apply(change);
            emitter.ForgetSent(Acknowledged);
            pending.Enqueue(ChangeOp.Rescan.Instance);
        }
        else
        {
            foreach (var change in delivery.Accepted)
                Acknowledged.Apply(change);
        }
        if (delivery.Accepted.Count > 0 || verdict != EpochVerdict.Same)
            _unsaved = true;
        // A new epoch is saved at once: a restart must not judge the new stream by the old one's epoch.
        if (verdict != EpochVerdict.Same || time.GetElapsedTime(_lastSaveTimestamp) >= PersistEvery)
            await SaveIfUnsavedAsync(cancellationToken);
    }

    private async Task SaveIfUnsavedAsync(CancellationToken cancellationToken)
    {
        if (_unsaved)
            await SaveAsync(cancellationToken);
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        // Inode and ctime are known only to the emitter, which looked at the disk: take them where the content agrees.
        Acknowledged.AdoptStamps(emitter.Told);
        try
        {
            await store.SaveAsync(Acknowledged, _epoch.Epoch, cancellationToken);
            _unsaved = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not fatal: the state only saves resending after a restart. Try again at the next save.
            LogSaveFailed(logger, ex);
        }
        _lastSaveTimestamp = time.GetTimestamp();
    }

    [LoggerMessage(LogLevel.Information, "Ready: the startup scan's changes are delivered ({Delivered} changes sent so far)")]
    private static partial void LogReady(ILogger logger, long delivered);

    [LoggerMessage(LogLevel.Warning, "Stopping with {Unsent} changes unsent and {Pending} ops pending: the next start's rescan sends them")]
    private static partial void LogUndelivered(ILogger logger, int unsent, int pending);

    [LoggerMessage(LogLevel.Error, "Cannot save the watcher state")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception);
}

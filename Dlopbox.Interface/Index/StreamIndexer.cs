using System.Diagnostics.Metrics;
using Dlopbox.Contracts;
using Dlopbox.EventBus;
using Dlopbox.Interface.EventLog;
using Dlopbox.Interface.EventStream;
using Dlopbox.Interface.Live;
using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dlopbox.Interface.Index;

/// <summary>
/// Follows the event stream and keeps <see cref="MasterIndex"/> current. At start it loads the index
/// the event log stored (as of the log's checkpoint) and reads only the stream after it, rather than
/// replaying the stream from its beginning, which retention may have cut. It resumes after the index's
/// own offset whenever the broker connection is replaced, so nothing is applied twice or skipped.
/// </summary>
public sealed partial class StreamIndexer(
    RabbitConnectionProvider connections,
    StreamTopology topology,
    StreamEpoch epoch,
    MasterIndex index,
    LiveFeed live,
    IEventLogStore store,
    IMeterFactory meterFactory,
    TimeProvider time,
    ILogger<StreamIndexer> logger) : BackgroundService, IHealthCheck
{
    private const ushort Prefetch = 2000;
    private static readonly TimeSpan StoredIndexWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);
    private volatile bool _consuming;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The index follows the stream, so its offset is the stream's head as far as the Interface has read it.
        meterFactory.Create(InterfaceTelemetry.Name).CreateObservableGauge(InterfaceTelemetry.HeadOffsetMetric,
            () => index.Offset is >= 0 and var offset ? [new Measurement<long>(offset)] : Array.Empty<Measurement<long>>(),
            "{offset}", "Offset of the newest change in the event stream, as the Interface's index has read it.");
        await LoadStoredIndexAsync(stoppingToken);
        var backoff = new Backoff(FirstRetryDelay, MaxRetryDelay, time);
        var outage = new OutageLog(time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ConsumeUntilBrokenAsync(() =>
                {
                    if (outage.Succeeded() is not null)
                        LogReconnected(logger, index.Offset);
                    backoff.Reset();
                }, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (outage.Failed())
                    LogBrokerLost(logger, ex.Message);
            }
            _consuming = false;
            await backoff.WaitAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task LoadStoredIndexAsync(CancellationToken stoppingToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        wait.CancelAfter(StoredIndexWait);
        try
        {
            await store.InitializeAsync(wait.Token);
            var stored = await store.LoadIndexAsync(wait.Token);
            index.Load(stored);
            LogStoredIndexLoaded(logger, stored.Entries.Count, stored.Offset, store.Name);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogNoStoredIndex(logger, store.Name, ex.Message);
        }
    }

    private async Task ConsumeUntilBrokenAsync(Action onSubscribed, CancellationToken stoppingToken)
    {
        var connection = await connections.GetAsync(stoppingToken);
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken))
            await topology.DeclareAsync(channel, stoppingToken);
        ResetIfNewStream(await epoch.ResolveAsync(connection, stoppingToken));

        var start = index.Offset + 1;
        await using var subscription = await StreamSubscription.OpenAsync(connection, topology.StreamName, start,
            new StreamSubscriptionOptions(Prefetch), stoppingToken);
        _consuming = true;
        LogFollowing(logger, topology.StreamName, start);
        onSubscribed();

        var unacked = 0;
        var expected = start;
        await foreach (var message in subscription.Messages.ReadAllAsync(stoppingToken))
        {
            Apply(message, ref expected);
            // Stream acks only grant credit: acking in groups keeps deliveries flowing without a frame per message.
            if (++unacked >= Prefetch / 4)
            {
                unacked = 0;
                await subscription.AckAsync(message.DeliveryTag, stoppingToken);
            }
        }
        throw new InvalidOperationException(subscription.EndReason ?? "subscription ended");
    }

    private void Apply(StreamMessage message, ref long expected)
    {
        if (message.Offset is not { } offset)
        {
            LogNoOffset(logger, message.Error);
            return;
        }
        if (offset > expected)
            LogGap(logger, expected, offset);
        expected = offset + 1;
        if (message.Record is not { } record)
            LogUnreadableMessage(logger, offset, message.Error);
        // Never trust the stream either: only the Interface checks what it appends, but anyone with write access could append.
        else if (PathRules.Check(record.Change.Path) is not null || (record.Change.OldPath is { } old && PathRules.Check(old) is not null))
            LogUnsafeRecord(logger, offset, record.Change.Path);
        else
        {
            index.Apply(offset, record.Change);
            live.Publish(offset, record);
        }
    }

    /// <summary>
    /// The index's offsets only hold on the stream they were read from: on another one (the broker lost its data and
    /// its offsets restart at 0) the index starts again empty. Null and null are the same stream (before epochs).
    /// </summary>
    private void ResetIfNewStream(string? current)
    {
        var known = index.Epoch;
        if (string.Equals(current, known, StringComparison.Ordinal))
            return;
        if (index.Offset >= 0 || index.Count > 0)
        {
            LogNewStream(logger, current, known);
            live.ClearRecent();
        }
        index.Reset(current);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_consuming
            ? HealthCheckResult.Healthy($"following the stream at offset {index.Offset}")
            : HealthCheckResult.Unhealthy("not following the event stream"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the stored index of {Entries} entries at offset {Offset} from the event log ({Store})")]
    private static partial void LogStoredIndexLoaded(ILogger logger, int entries, long offset, string store);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No stored index from the event log ({Store}: {Reason}); rebuilding it from the stream's first offset")]
    private static partial void LogNoStoredIndex(ILogger logger, string store, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The event stream is new (epoch {New}, was {Old}): the index starts again from offset 0; the watcher sends the master again")]
    private static partial void LogNewStream(ILogger logger, string? @new, string? old);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stream no longer holds offsets {Expected} to {Got}: retention dropped them; the index misses those changes until the watcher reports them again")]
    private static partial void LogGap(ILogger logger, long expected, long got);

    [LoggerMessage(Level = LogLevel.Information, Message = "Following stream {Stream} from offset {Offset}")]
    private static partial void LogFollowing(ILogger logger, string stream, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the event stream ({Reason}); retrying with backoff")]
    private static partial void LogBrokerLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event stream back; index at offset {Offset}")]
    private static partial void LogReconnected(ILogger logger, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped stream message at offset {Offset}: unsafe path {Path}")]
    private static partial void LogUnsafeRecord(ILogger logger, long offset, string? path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream message at offset {Offset} is not a change record: {Reason}")]
    private static partial void LogUnreadableMessage(ILogger logger, long offset, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Skipped a stream message without an offset: {Reason}")]
    private static partial void LogNoOffset(ILogger logger, string? reason);
}

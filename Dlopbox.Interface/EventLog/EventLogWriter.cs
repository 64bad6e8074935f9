using System.Threading.Channels;
using Dlopbox.Contracts;
using Dlopbox.EventBus;
using Dlopbox.Interface.EventStream;
using Dlopbox.Interface.Index;
using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace Dlopbox.Interface.EventLog;

/// <summary>
/// Follows the event stream from the store's own checkpoint and appends every event, in batches, to the
/// event log, with the index rows they change. It is a consumer of its own: when the store is down,
/// sync goes on untouched; the writer waits and catches up from its checkpoint, so nothing is missing
/// afterwards and nothing is stored twice (the offset is the key).
/// </summary>
public sealed partial class EventLogWriter(
    RabbitConnectionProvider connections,
    StreamTopology topology,
    StreamEpoch epoch,
    IEventLogStore store,
    TimeProvider time,
    ILogger<EventLogWriter> logger) : BackgroundService, IHealthCheck
{
    private const ushort Prefetch = 2000;
    private const int MaxBatch = 1000;
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    // The writer's own copy of the tree, as of its checkpoint: it turns each event into index rows.
    private readonly MasterIndex _index = new();
    private readonly OutageLog _outage = new(time);
    private long _checkpoint = -1;

    /// <summary>What the last failure found unavailable (the stream or the store): named in the outage's lines and health.</summary>
    private volatile string _unavailable = "";

    /// <summary>Offset of the last event stored.</summary>
    public long Checkpoint => Interlocked.Read(ref _checkpoint);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(FirstRetryDelay, MaxRetryDelay, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.InitializeAsync(stoppingToken);
                var stored = await store.LoadIndexAsync(stoppingToken);
                _index.Load(stored);
                Interlocked.Exchange(ref _checkpoint, stored.Offset);
                await FollowAsync(backoff.Reset, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _unavailable = ex is BrokerLostException ? "event stream" : $"event log store ({store.Name})";
                if (_outage.Failed())
                    LogOutage(logger, _unavailable, ex.Message, Checkpoint);
            }
            await backoff.WaitAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task FollowAsync(Action onProgress, CancellationToken stoppingToken)
    {
        IConnection connection;
        string? current;
        try
        {
            connection = await connections.GetAsync(stoppingToken);
            await using (var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken))
                await topology.DeclareAsync(channel, stoppingToken);
            current = await epoch.ResolveAsync(connection, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new BrokerLostException(ex.Message, ex);
        }

        if (await EventLogEpoch.MatchAsync(store, _index.Epoch, Checkpoint, _index.Count, current, logger, stoppingToken) is { } reset)
        {
            _index.Load(reset);
            Interlocked.Exchange(ref _checkpoint, reset.Offset);
        }
        StreamSubscription subscription;
        try
        {
            subscription = await StreamSubscription.OpenAsync(connection, topology.StreamName, Checkpoint + 1,
                new StreamSubscriptionOptions(Prefetch), stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new BrokerLostException(ex.Message, ex);
        }
        // Disposing it when the store fails ends it: the stream replays from the checkpoint next time.
        await using (subscription)
        {
            if (!_outage.IsOngoing)
                LogFollowing(logger, store.Name, Checkpoint + 1);
            await StoreMessagesAsync(subscription, onProgress, stoppingToken);
        }
    }

    private async Task StoreMessagesAsync(StreamSubscription subscription, Action onProgress, CancellationToken stoppingToken)
    {
        var messages = subscription.Messages;
        var batch = new List<StreamMessage>(MaxBatch);
        while (true)
        {
            try
            {
                batch.Add(await messages.ReadAsync(stoppingToken));
            }
            catch (ChannelClosedException)
            {
                throw new BrokerLostException(subscription.EndReason ?? "subscription ended", null);
            }
            // Gather what arrives within a short window: one transaction per burst, not per event.
            using (var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                window.CancelAfter(BatchWindow);
                try
                {
                    while (batch.Count < MaxBatch && await messages.WaitToReadAsync(window.Token))
                    {
                        while (batch.Count < MaxBatch && messages.TryRead(out var next))
                            batch.Add(next);
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The window closed.
                }
            }

            await StoreAsync(batch, stoppingToken);
            await subscription.AckAsync(batch[^1].DeliveryTag, stoppingToken);
            batch.Clear();
            onProgress();
            if (_outage.Succeeded() is not null)
                LogRecovered(logger, _unavailable, Checkpoint);
        }
    }

    private async Task StoreAsync(List<StreamMessage> batch, CancellationToken cancellationToken)
    {
        var events = new List<LoggedEvent>(batch.Count);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        var last = Checkpoint;
        foreach (var message in batch)
        {
            // A message without an offset (never seen from a broker) cannot be placed: skipped, as an old one is.
            var (offset, record) = (message.Offset ?? -1, message.Record);
            if (offset <= last)
                continue;
            last = offset;
            if (record is null || PathRules.Check(record.Change.Path) is not null
                || (record.Change.OldPath is { } old && PathRules.Check(old) is not null))
            {
                LogSkipped(logger, offset);
                continue;
            }
            _index.Apply(offset, record.Change, touched);
            events.Add(new LoggedEvent { Offset = offset, Change = record.Change, Source = record.Source, ReceivedAt = record.ReceivedAt });
        }
        if (last == Checkpoint)
            return;

        var upserts = new List<SnapshotEntry>();
        var deletes = new List<string>();
        foreach (var path in touched)
        {
            if (_index.TryGet(path, out var entry))
                upserts.Add(entry);
            else
                deletes.Add(path);
        }
        try
        {
            await store.AppendAsync(new EventLogBatch(events, upserts, deletes, last), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The copy of the index is now ahead of the store: the outer loop reloads it from the store.
            throw new StoreUnavailableException(ex.Message, ex);
        }
        Interlocked.Exchange(ref _checkpoint, last);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!_outage.IsOngoing
            ? HealthCheckResult.Healthy($"event log ({store.Name}) at offset {Checkpoint}")
            // Degraded, not unhealthy: sync does not depend on the log.
            : HealthCheckResult.Degraded($"{_unavailable} unavailable; event log waits at offset {Checkpoint}"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Event log ({Store}) following the stream from offset {Offset}")]
    private static partial void LogFollowing(ILogger logger, string store, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event log paused: {What} unavailable ({Reason}); it will catch up from offset {Checkpoint}")]
    private static partial void LogOutage(ILogger logger, string what, string reason, long checkpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event log resumed after the {What} outage; stored up to offset {Checkpoint}")]
    private static partial void LogRecovered(ILogger logger, string what, long checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event log skipped the stream message at offset {Offset}: unreadable or unsafe")]
    private static partial void LogSkipped(ILogger logger, long offset);

    private sealed class BrokerLostException(string message, Exception? inner) : Exception(message, inner);

    private sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
}

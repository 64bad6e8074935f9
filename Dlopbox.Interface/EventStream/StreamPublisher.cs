using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Dlopbox.Contracts;
using RabbitMQ.Client;

namespace Dlopbox.Interface.EventStream;

/// <summary>
/// Appends change records to the stream, one message per change, and returns only once the broker
/// confirmed all of them. Batches are published one at a time so a batch stays contiguous in the stream.
/// Each message is published under its change's span (see <see cref="InterfaceTelemetry"/>); every confirm
/// is timed (<c>messaging.client.operation.duration</c>) and counted (<c>messaging.client.sent.messages</c>).
/// </summary>
public sealed partial class StreamPublisher : IAsyncDisposable
{
    private readonly RabbitConnectionProvider _connections;
    private readonly StreamTopology _topology;
    private readonly StreamEpoch _epoch;
    private readonly ILogger<StreamPublisher> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Counter<long> _sent;
    private readonly Histogram<double> _duration;
    private readonly KeyValuePair<string, object?>[] _tags;
    private IChannel? _channel;
    private IConnection? _connection;

    public StreamPublisher(
        RabbitConnectionProvider connections,
        StreamTopology topology,
        StreamEpoch epoch,
        IMeterFactory meterFactory,
        TimeProvider time,
        ILogger<StreamPublisher> logger)
    {
        _time = time;
        _connections = connections;
        _topology = topology;
        _epoch = epoch;
        _logger = logger;
        var meter = meterFactory.Create(InterfaceTelemetry.Name);
        _sent = meter.CreateCounter<long>(InterfaceTelemetry.SentMessagesMetric, "{message}",
            "Change records published to the stream (with error.type when the broker did not confirm them).");
        _duration = meter.CreateHistogram(InterfaceTelemetry.OperationDurationMetric, "s",
            "From publishing a change record to the broker's confirm of it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = InterfaceTelemetry.DurationBuckets });
        _tags =
        [
            new(InterfaceTelemetry.MessagingSystem, "rabbitmq"),
            new(InterfaceTelemetry.MessagingDestination, topology.StreamName),
            new(InterfaceTelemetry.MessagingOperationName, "publish"),
            new(InterfaceTelemetry.MessagingOperationType, "send"),
        ];
    }

    /// <summary>
    /// Publishes <paramref name="records"/> and waits for every confirm. <paramref name="traceParents"/>, when
    /// given, holds each record's trace context (default where it has none), parallel to <paramref name="records"/>.
    /// Every record is stamped with the stream's epoch, which is returned; an empty batch publishes nothing and
    /// only answers the epoch (the watcher's cheap probe of which stream it is feeding).
    /// </summary>
    public async Task<string?> PublishAsync(IReadOnlyList<ChangeRecord> records, IReadOnlyList<ActivityContext>? traceParents,
        CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        var request = Activity.Current;
        var tracing = InterfaceTelemetry.Source.HasListeners();
        var spans = tracing ? new Activity?[records.Count] : null;
        var published = 0;
        try
        {
            var channel = await GetChannelAsync(cancellationToken);
            var epoch = await _epoch.ResolveAsync(_connection!, cancellationToken);
            var confirms = new Task[records.Count];
            var started = new long[records.Count];
            for (var i = 0; i < records.Count; i++)
            {
                var body = JsonSerializer.SerializeToUtf8Bytes(records[i] with { Epoch = epoch }, DlopboxJsonContext.Default.ChangeRecord);
                var properties = new BasicProperties
                {
                    DeliveryMode = DeliveryModes.Persistent,
                    ContentType = "application/json",
                };
                if (spans is not null)
                    spans[i] = InterfaceTelemetry.StartAppend(records[i], traceParents?[i] ?? default, _topology.StreamName);
                started[i] = _time.GetTimestamp();
                // RabbitMQ.Client starts its publisher span under Activity.Current (the change's span) and
                // injects that span's traceparent into the headers: nothing to inject here.
                confirms[i] = channel.BasicPublishAsync(string.Empty, _topology.StreamName, mandatory: true,
                    properties, body, cancellationToken).AsTask();
                published++;
                if (spans is not null)
                    Activity.Current = request;
            }
            await AwaitConfirmsAsync(confirms, started, spans);
            return epoch;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever broke (connection, nack, return), the next batch starts on a fresh channel.
            LogPublishFailed(_logger, records.Count, ex.Message);
            if (published > 0)
                _sent.Add(published, [.. _tags, new(InterfaceTelemetry.ErrorType, ex.GetType().Name)]);
            await ResetChannelAsync();
            throw new StreamUnavailableException("The event stream did not confirm the batch.", ex);
        }
        finally
        {
            EndSpans(spans, request);
            _writer.Release();
        }
    }

    /// <summary>
    /// Waits for the confirms in publishing order, which is the order the broker confirms in: each is timed
    /// when it is seen, and its change's span ends there. Throws the first failure once all have ended.
    /// </summary>
    private async Task AwaitConfirmsAsync(Task[] confirms, long[] started, Activity?[]? spans)
    {
        var tags = new TagList(_tags.AsSpan());
        for (var i = 0; i < confirms.Length; i++)
        {
            try
            {
                await confirms[i];
            }
            catch
            {
                // Observe the rest, so none of their failures goes unobserved.
                await Task.WhenAll(confirms).ContinueWith(static all => _ = all.Exception, TaskScheduler.Default);
                throw;
            }
            _duration.Record(_time.GetElapsedTime(started[i]).TotalSeconds, tags);
            if (spans?[i] is { } span)
            {
                span.Stop();
                spans[i] = null;
            }
        }
        _sent.Add(confirms.Length, tags);
    }

    /// <summary>Ends the spans of records that were not confirmed, if any.</summary>
    private static void EndSpans(Activity?[]? spans, Activity? request)
    {
        if (spans is null)
            return;
        foreach (var span in spans)
        {
            if (span is null)
                continue;
            span.SetStatus(ActivityStatusCode.Error, "not confirmed");
            span.Stop();
        }
        Activity.Current = request;
    }

    private async Task<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
            return open;
        await ResetChannelAsync();

        var connection = await _connections.GetAsync(cancellationToken);
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(
                publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true,
                // A batch of thousands of events is published at once; the default (128 in flight) throttles it.
                outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(20_000)),
            cancellationToken);
        await _topology.DeclareAsync(channel, cancellationToken);
        _channel = channel;
        _connection = connection;
        return channel;
    }

    private async Task ResetChannelAsync()
    {
        if (_channel is null)
            return;
        try
        {
            await _channel.DisposeAsync();
        }
        catch (Exception)
        {
            // A broken channel may fail to close; it is being replaced either way.
        }
        _channel = null;
        _connection = null;
    }

    public async ValueTask DisposeAsync()
    {
        await ResetChannelAsync();
        _writer.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing a batch of {Count} events failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, int count, string reason);
}

/// <summary>The broker is unreachable or did not confirm; the caller should retry later.</summary>
public sealed class StreamUnavailableException(string message, Exception inner) : Exception(message, inner);

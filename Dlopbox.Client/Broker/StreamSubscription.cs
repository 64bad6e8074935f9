using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dlopbox.Client.Replica;
using Dlopbox.Contracts;
using Dlopbox.EventBus;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Dlopbox.Client.Broker;

/// <summary>
/// A live consumer of the event stream on its own connection. Deliveries are handed from the broker's
/// callback to the applier through a bounded channel; the channel completes when the connection, the
/// channel or the consumer goes away, after which the subscription is dead and a new one is needed.
/// </summary>
internal sealed class StreamSubscription : IAsyncDisposable
{
    /// <summary>Header the broker puts on every stream delivery: the message's offset.</summary>
    public const string OffsetHeader = StreamEpochProbe.OffsetHeader;

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly Channel<StreamDelivery> _deliveries;
    private readonly ClientTelemetry? _telemetry;
    private int _disposed;

    public StreamSubscription(IConnection connection, IChannel channel, int capacity, ClientTelemetry? telemetry = null)
    {
        _connection = connection;
        _channel = channel;
        _telemetry = telemetry;
        // The prefetch bounds what is unacked, hence what can be buffered: the writer never waits long.
        _deliveries = Channel.CreateBounded<StreamDelivery>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _connection.ConnectionShutdownAsync += (_, args) => EndAsync($"connection closed: {args.ReplyText}");
    }

    public ChannelReader<StreamDelivery> Deliveries => _deliveries.Reader;

    /// <summary>Why the subscription ended; null while it is alive.</summary>
    public string? EndReason { get; private set; }

    internal void Attach(AsyncEventingBasicConsumer consumer)
    {
        consumer.ReceivedAsync += OnReceivedAsync;
        consumer.ShutdownAsync += (_, args) => EndAsync($"channel closed: {args.ReplyText}");
        consumer.UnregisteredAsync += (_, _) => EndAsync("consumer cancelled");
    }

    /// <summary>Acks every delivery up to <paramref name="deliveryTag"/>. On a stream this only grants credit; failures are harmless.</summary>
    public async Task TryAckAsync(ulong deliveryTag, CancellationToken cancellationToken)
    {
        if (EndReason is not null || !_channel.IsOpen)
            return;
        try
        {
            await _channel.BasicAckAsync(deliveryTag, multiple: true, cancellationToken);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException or ObjectDisposedException)
        {
            // The shutdown callbacks end the subscription.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await EndAsync("stopped");
        try
        {
            if (_channel.IsOpen)
                await _channel.CloseAsync().WaitAsync(CloseTimeout);
            if (_connection.IsOpen)
                await _connection.CloseAsync(CloseTimeout);
        }
        catch (Exception)
        {
            // Closing a connection that is already broken may fail every way; it is going away regardless.
        }
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
    {
        var delivery = Decode(args);
        if (delivery.Offset is { } offset)
            _telemetry?.Received(offset);
        try
        {
            await _deliveries.Writer.WriteAsync(delivery, args.CancellationToken);
        }
        catch (ChannelClosedException)
        {
            // Ended meanwhile: the next subscription starts again from the applied offset.
        }
    }

    private static StreamDelivery Decode(BasicDeliverEventArgs args)
    {
        var offset = StreamEpochProbe.ReadOffset(args.BasicProperties);
        if (offset is null)
            return new StreamDelivery(null, args.DeliveryTag, null, $"no {OffsetHeader} header");
        try
        {
            var record = JsonSerializer.Deserialize(args.Body.Span, DlopboxJsonContext.Default.ChangeRecord);
            if (!ClientTelemetry.Source.HasListeners())
                return new StreamDelivery(offset, args.DeliveryTag, record, record is null ? "null body" : null);
            // Activity.Current is RabbitMQ.Client's "deliver" span, when it is listened to. RabbitMQ.Client 7.2 makes
            // it a child of the publisher's span (some 7.x versions only link it): when it is in the change's trace
            // the event is applied under it, otherwise under the publisher's span, linked to the delivery.
            var traceParent = ExtractTraceParent(args.BasicProperties);
            var delivered = Activity.Current?.Context ?? default;
            if (traceParent != default && delivered.TraceId == traceParent.TraceId)
                (traceParent, delivered) = (delivered, default);
            return new StreamDelivery(offset, args.DeliveryTag, record, record is null ? "null body" : null, traceParent, delivered);
        }
        catch (JsonException ex)
        {
            return new StreamDelivery(offset, args.DeliveryTag, null, ex.Message);
        }
    }

    /// <summary>
    /// The trace context RabbitMQ.Client's publisher span injected (with <see cref="DistributedContextPropagator.Current"/>,
    /// read back the same way). Its own "deliver" span only links this context; the apply span is its child.
    /// </summary>
    private static ActivityContext ExtractTraceParent(IReadOnlyBasicProperties properties)
    {
        if (properties.Headers is not { } headers)
            return default;
        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, ReadHeader, out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }

    private static void ReadHeader(object? carrier, string name, out string? value, out IEnumerable<string>? values)
    {
        values = null;
        // AMQP long strings arrive as bytes.
        value = carrier is IDictionary<string, object?> headers && headers.TryGetValue(name, out var raw)
            ? raw switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string text => text,
                _ => null,
            }
            : null;
    }

    private Task EndAsync(string reason)
    {
        if (EndReason is null)
            EndReason = reason;
        _deliveries.Writer.TryComplete();
        return Task.CompletedTask;
    }
}

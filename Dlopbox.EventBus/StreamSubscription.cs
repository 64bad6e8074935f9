using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Dlopbox.EventBus;

/// <summary>
/// A live consumer of an event stream on a channel of its own. Messages are decoded on the broker's callback and
/// handed to the reader through a bounded channel (<see cref="Messages"/>), which completes when the connection,
/// the channel or the consumer goes away (<see cref="EndReason"/> says which); a new subscription is needed then.
/// Where to start and when to resubscribe is the owner's call: each reader resumes from its own offset.
/// </summary>
public sealed class StreamSubscription : IAsyncDisposable
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly StreamSubscriptionOptions _options;
    private readonly Channel<StreamMessage> _messages;
    private string? _endReason;
    private int _disposed;

    private StreamSubscription(IConnection connection, IChannel channel, StreamSubscriptionOptions options)
    {
        _connection = connection;
        _channel = channel;
        _options = options;
        // The prefetch bounds what is unacked, hence what can be buffered: the callback never waits long.
        _messages = Channel.CreateBounded<StreamMessage>(new BoundedChannelOptions(options.Prefetch)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
    }

    /// <summary>The stream's messages in offset order; completes when the subscription ends.</summary>
    public ChannelReader<StreamMessage> Messages => _messages.Reader;

    /// <summary>Why the subscription ended; null while it is alive.</summary>
    public string? EndReason => Volatile.Read(ref _endReason);

    /// <summary>
    /// Consumes <paramref name="stream"/> from <paramref name="fromOffset"/> on a new channel of <paramref name="connection"/>.
    /// Throws like the broker does (a missing stream: 404). Until it returns, the connection stays the caller's to close.
    /// </summary>
    public static async Task<StreamSubscription> OpenAsync(IConnection connection, string stream, long fromOffset,
        StreamSubscriptionOptions options, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var subscription = new StreamSubscription(connection, channel, options);
        try
        {
            // Streams require a prefetch and manual acks; acks only grant credit.
            await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: options.Prefetch, global: false, cancellationToken);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += subscription.OnReceivedAsync;
            consumer.ShutdownAsync += (_, args) => subscription.End($"channel closed: {args.ReplyText}");
            // RabbitMQ.Client unregisters the consumer before it reports the channel's shutdown: say which it was.
            consumer.UnregisteredAsync += (_, _) => subscription.End(consumer.ShutdownReason is { } closed
                ? $"channel closed: {closed.ReplyText}"
                : "consumer cancelled");
            await channel.BasicConsumeAsync(stream, autoAck: false, consumerTag: string.Empty, noLocal: false, exclusive: false,
                StreamOffset.StartAt(fromOffset), consumer, cancellationToken);
            return subscription;
        }
        catch
        {
            await subscription.CloseAsync(closeConnection: false);
            throw;
        }
    }

    /// <summary>Acks every message up to <paramref name="deliveryTag"/>. On a stream this only grants credit: failures once it ended are harmless.</summary>
    public async Task AckAsync(ulong deliveryTag, CancellationToken cancellationToken)
    {
        if (EndReason is not null || !_channel.IsOpen)
            return;
        try
        {
            await _channel.BasicAckAsync(deliveryTag, multiple: true, cancellationToken);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException)
        {
            // The shutdown callbacks end the subscription.
        }
    }

    /// <summary>Ends the subscription ("stopped") and closes its channel, and its connection when it owns it.</summary>
    public ValueTask DisposeAsync() => CloseAsync(_options.OwnsConnection);

    private async ValueTask CloseAsync(bool closeConnection)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        // Completing first unblocks a callback waiting for room, so closing the channel cannot hang on it.
        await End("stopped");
        try
        {
            _connection.ConnectionShutdownAsync -= OnConnectionShutdownAsync;
        }
        catch (ObjectDisposedException)
        {
            // A shared connection its provider replaced (and disposed) first: nothing is left to unsubscribe from.
        }
        try
        {
            if (_channel.IsOpen)
                await _channel.CloseAsync().WaitAsync(CloseTimeout);
            if (closeConnection && _connection.IsOpen)
                await _connection.CloseAsync(CloseTimeout);
        }
        catch (Exception)
        {
            // Closing what is already broken may fail every way; it is going away regardless.
        }
        await _channel.DisposeAsync();
        if (closeConnection)
            await _connection.DisposeAsync();
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
    {
        var message = StreamMessageDecoder.Decode(args, _options.TraceFor);
        _options.OnReceived?.Invoke(message);
        try
        {
            await _messages.Writer.WriteAsync(message, args.CancellationToken);
        }
        catch (ChannelClosedException)
        {
            // Ended meanwhile: the owner's next subscription starts again from its own offset.
        }
    }

    private Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs args) => End($"connection closed: {args.ReplyText}");

    private Task End(string reason)
    {
        Interlocked.CompareExchange(ref _endReason, reason, null);
        _messages.Writer.TryComplete();
        return Task.CompletedTask;
    }
}

using Dlopbox.Client.Replica;
using Dlopbox.EventBus;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Dlopbox.Client.Broker;

/// <summary>
/// Opens subscriptions to the event stream at a given offset. The broker user may only read the stream,
/// so nothing is declared: a missing stream fails the consume (404) and the caller retries later.
/// Automatic recovery is off (<see cref="StreamConnectionFactory"/>): the client resumes from its own applied offset, not the library's idea of it.
/// </summary>
internal sealed class StreamConsumer(StreamConnectionFactory connectionFactory, IOptions<ClientOptions> options, ClientTelemetry? telemetry = null)
{
    public async Task<StreamSubscription> SubscribeAsync(long fromOffset, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var connection = await connectionFactory.CreateConnectionAsync(cancellationToken);
        IChannel? channel = null;
        try
        {
            channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            // Streams require a prefetch and manual acks; acks only grant credit.
            await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: (ushort)settings.Prefetch, global: false, cancellationToken);
            var subscription = new StreamSubscription(connection, channel, settings.Prefetch, telemetry);
            var consumer = new AsyncEventingBasicConsumer(channel);
            subscription.Attach(consumer);
            var arguments = new Dictionary<string, object?> { [StreamSubscription.OffsetHeader] = fromOffset };
            await channel.BasicConsumeAsync(settings.StreamName, autoAck: false, consumerTag: "", noLocal: false, exclusive: false, arguments, consumer, cancellationToken);
            return subscription;
        }
        catch
        {
            if (channel is not null)
                await channel.DisposeAsync();
            await connection.DisposeAsync();
            throw;
        }
    }
}

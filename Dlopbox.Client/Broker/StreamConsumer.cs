using Dlopbox.Client.Replica;
using Dlopbox.EventBus;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Broker;

/// <summary>
/// Opens subscriptions to the event stream at a given offset, each on a connection of its own that it closes.
/// The broker user may only read the stream, so nothing is declared: a missing stream fails the consume (404)
/// and the caller retries later. Automatic recovery is off (<see cref="StreamConnectionFactory"/>): the client
/// resumes from its own applied offset, not the library's idea of it.
/// </summary>
internal sealed class StreamConsumer(StreamConnectionFactory connectionFactory, IOptions<ClientOptions> options, ClientTelemetry telemetry)
{
    public async Task<StreamSubscription> SubscribeAsync(long fromOffset, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var subscribe = new StreamSubscriptionOptions((ushort)settings.Prefetch)
        {
            // The apply span continues the delivery's or the publisher's trace (see StreamMessage).
            TraceFor = ClientTelemetry.Source,
            OnReceived = message =>
            {
                if (message.Offset is { } offset)
                    telemetry.Received(offset);
            },
            OwnsConnection = true,
        };
        var connection = await connectionFactory.CreateConnectionAsync(cancellationToken);
        try
        {
            return await StreamSubscription.OpenAsync(connection, settings.StreamName, fromOffset, subscribe, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

using System.Diagnostics;

namespace Dlopbox.EventBus;

/// <summary>How a <see cref="StreamSubscription"/> consumes.</summary>
/// <param name="Prefetch">
/// Deliveries the broker may have unacked, which streams require; also what the subscription buffers, so the
/// broker's callback never waits long for the reader.
/// </param>
public sealed record StreamSubscriptionOptions(ushort Prefetch)
{
    /// <summary>
    /// Read each message's trace context (<see cref="StreamMessage.TraceParent"/>) while this source has listeners;
    /// never when null. It can only be read on the broker's callback, where RabbitMQ.Client's delivery span is current.
    /// </summary>
    public ActivitySource? TraceFor { get; init; }

    /// <summary>Called on the broker's callback, in order, before the message is queued: for what counts arrivals, not reads.</summary>
    public Action<StreamMessage>? OnReceived { get; init; }

    /// <summary>The connection was opened for this subscription alone: disposing the subscription closes it too.</summary>
    public bool OwnsConnection { get; init; }
}

using System.Diagnostics;
using Dlopbox.Contracts;

namespace Dlopbox.EventBus;

/// <summary>
/// One message of the event stream, decoded while its body was still valid (inside the consumer callback).
/// <see cref="Record"/> is null when the body could not be read; <see cref="Error"/> says why. When traced
/// (<see cref="StreamSubscriptionOptions.TraceFor"/>), <see cref="TraceParent"/> is what the event is handled under:
/// RabbitMQ.Client's span of the delivery when it continues the publisher's trace, else the publisher's context
/// from the AMQP headers, with the delivery's span in <see cref="Delivered"/> to link; both are default otherwise.
/// </summary>
/// <param name="Offset">The message's offset; null when the broker sent no <see cref="StreamOffset.Header"/>.</param>
/// <param name="DeliveryTag">What <see cref="StreamSubscription.AckAsync"/> takes.</param>
public sealed record StreamMessage(
    long? Offset,
    ulong DeliveryTag,
    ChangeRecord? Record,
    string? Error,
    ActivityContext TraceParent = default,
    ActivityContext Delivered = default);

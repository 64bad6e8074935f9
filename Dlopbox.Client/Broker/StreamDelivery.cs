using System.Diagnostics;
using Dlopbox.Contracts;

namespace Dlopbox.Client.Broker;

/// <summary>
/// One message of the event stream, decoded while its body was still valid (inside the consumer callback).
/// <see cref="Record"/> is null when the body could not be read; <see cref="Error"/> says why. When tracing,
/// <see cref="TraceParent"/> is what the event is applied under: RabbitMQ.Client's span of the delivery when it
/// continues the publisher's trace, else the publisher's context from the AMQP headers, with the delivery's span
/// in <see cref="Delivered"/> to link; both are default otherwise.
/// </summary>
internal sealed record StreamDelivery(
    long? Offset,
    ulong DeliveryTag,
    ChangeRecord? Record,
    string? Error,
    ActivityContext TraceParent = default,
    ActivityContext Delivered = default);

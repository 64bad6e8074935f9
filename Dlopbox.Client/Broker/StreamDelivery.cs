using Dlopbox.Contracts;

namespace Dlopbox.Client.Broker;

/// <summary>
/// One message of the event stream, decoded while its body was still valid (inside the consumer callback).
/// <see cref="Record"/> is null when the body could not be read; <see cref="Error"/> says why.
/// </summary>
internal sealed record StreamDelivery(long? Offset, ulong DeliveryTag, ChangeRecord? Record, string? Error);

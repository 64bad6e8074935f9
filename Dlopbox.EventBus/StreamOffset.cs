using RabbitMQ.Client;

namespace Dlopbox.EventBus;

/// <summary>Where a stream consumer starts, and where each delivery sits: both are the broker's <c>x-stream-offset</c>.</summary>
public static class StreamOffset
{
    /// <summary>The consume argument that says where to start, and the header the broker puts on every delivery: its offset.</summary>
    public const string Header = "x-stream-offset";

    /// <summary>Consume arguments that start at <paramref name="start"/>: an offset, or a spec such as <c>"first"</c> or <c>"last"</c>.</summary>
    public static Dictionary<string, object?> StartAt(object start) => new() { [Header] = start };

    /// <summary>The offset of a delivery, from its <see cref="Header"/>; null when it has none.</summary>
    public static long? Read(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(Header, out var value) == true
            ? value switch
            {
                long number => number,
                int number => number,
                _ => null,
            }
            : null;
}

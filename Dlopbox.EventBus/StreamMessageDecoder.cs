using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Dlopbox.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Dlopbox.EventBus;

/// <summary>Turns a stream delivery into a <see cref="StreamMessage"/>; only valid inside the consumer callback, while the body is.</summary>
internal static class StreamMessageDecoder
{
    public static StreamMessage Decode(BasicDeliverEventArgs args, ActivitySource? traceFor)
    {
        var offset = StreamOffset.Read(args.BasicProperties);
        if (offset is null)
            return new StreamMessage(null, args.DeliveryTag, null, $"no {StreamOffset.Header} header");
        try
        {
            var record = JsonSerializer.Deserialize(args.Body.Span, DlopboxJsonContext.Default.ChangeRecord);
            if (traceFor is null || !traceFor.HasListeners())
                return new StreamMessage(offset, args.DeliveryTag, record, record is null ? "null body" : null);
            // Activity.Current is RabbitMQ.Client's "deliver" span, when it is listened to. RabbitMQ.Client 7.2 makes
            // it a child of the publisher's span (some 7.x versions only link it): when it is in the change's trace
            // the event is handled under it, otherwise under the publisher's span, linked to the delivery.
            var traceParent = ExtractTraceParent(args.BasicProperties);
            var delivered = Activity.Current?.Context ?? default;
            if (traceParent != default && delivered.TraceId == traceParent.TraceId)
                (traceParent, delivered) = (delivered, default);
            return new StreamMessage(offset, args.DeliveryTag, record, record is null ? "null body" : null, traceParent, delivered);
        }
        catch (JsonException ex)
        {
            return new StreamMessage(offset, args.DeliveryTag, null, ex.Message);
        }
    }

    /// <summary>
    /// The trace context RabbitMQ.Client's publisher span injected (with <see cref="DistributedContextPropagator.Current"/>,
    /// read back the same way). Its own "deliver" span only links this context; the handling span is its child.
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
}

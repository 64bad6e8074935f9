using System.Text.Json;
using Dlopbox.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Dlopbox.EventBus;

/// <summary>What the broker's stream is now: empty, or the epoch and offset of a record of its last chunk.</summary>
/// <param name="IsEmpty">The stream holds no record (new, or its broker lost its data).</param>
/// <param name="Epoch">The epoch every record of the stream carries; null when empty or written before epochs.</param>
/// <param name="Offset">Offset of the record read; -1 when empty.</param>
public sealed record StreamHead(bool IsEmpty, string? Epoch, long Offset)
{
    public static readonly StreamHead Empty = new(true, null, -1);
}

/// <summary>
/// Finds out which stream the broker holds, so that a saved offset is only used on the stream it was read
/// from. Retention never removes a stream's last segment, so a stream that once held records is empty only
/// when it was made anew. One record of its last chunk gives its epoch, since every record of one stream
/// carries the same one. The broker sends that chunk as soon as the consumer is registered; only an empty stream
/// sends nothing. The message count of a passive declare only hints: the broker updates it every few seconds,
/// so a count above 0 is certain (wait as long as it takes), while 0 may be stale (wait <c>emptyWait</c>).
/// </summary>
public static class StreamEpochProbe
{
    /// <summary>How long a stream whose count says 0 is given to send its last chunk before it counts as empty.</summary>
    public static readonly TimeSpan DefaultEmptyWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Reads the head of <paramref name="stream"/> on a channel of its own. Throws when the stream does not
    /// exist (404), when the broker goes away, or when no record arrives within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<StreamHead> ReadAsync(IConnection connection, string stream, TimeSpan timeout, CancellationToken cancellationToken,
        TimeSpan? emptyWait = null)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var declared = await channel.QueueDeclarePassiveAsync(stream, cancellationToken);
        var wait = declared.MessageCount > 0 ? timeout : emptyWait ?? DefaultEmptyWait;

        var first = new TaskCompletionSource<StreamHead>(TaskCreationOptions.RunContinuationsAsynchronously);
        await channel.BasicQosAsync(0, 1, global: false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            first.TrySetResult(Decode(delivery));
            return Task.CompletedTask;
        };
        consumer.ShutdownAsync += (_, args) =>
        {
            first.TrySetException(new InvalidOperationException($"the stream probe's channel closed: {args.ReplyText}"));
            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync(stream, autoAck: false, consumerTag: string.Empty, noLocal: false, exclusive: false,
            arguments: StreamOffset.StartAt("last"), consumer: consumer, cancellationToken: cancellationToken);
        try
        {
            return await first.Task.WaitAsync(wait, cancellationToken);
        }
        catch (TimeoutException) when (declared.MessageCount == 0)
        {
            return StreamHead.Empty;
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Stream '{stream}' holds {declared.MessageCount} messages but sent none within {timeout.TotalSeconds:0.#} s.");
        }
        finally
        {
            if (channel.IsOpen)
                await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None);
        }
    }

    private static StreamHead Decode(BasicDeliverEventArgs delivery)
    {
        var offset = StreamOffset.Read(delivery.BasicProperties) ?? throw new InvalidDataException($"A stream delivery carried no {StreamOffset.Header} header.");
        ChangeRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(delivery.Body.Span, DlopboxJsonContext.Default.ChangeRecord);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The stream's record at offset {offset} is not a change record: {ex.Message}", ex);
        }
        return new StreamHead(false, record?.Epoch, offset);
    }
}

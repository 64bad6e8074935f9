using System.Text.Json;
using Dlopbox.Contracts;
using RabbitMQ.Client;

namespace Dlopbox.Interface.EventStream;

/// <summary>
/// Appends change records to the stream, one message per change, and returns only once the broker
/// confirmed all of them. Batches are published one at a time so a batch stays contiguous in the stream.
/// </summary>
public sealed partial class StreamPublisher(
    RabbitConnectionProvider connections,
    StreamTopology topology,
    ILogger<StreamPublisher> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _writer = new(1, 1);
    private IChannel? _channel;

    public async Task PublishAsync(IReadOnlyList<ChangeRecord> records, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var channel = await GetChannelAsync(cancellationToken);
            var confirms = new Task[records.Count];
            for (var i = 0; i < records.Count; i++)
            {
                var body = JsonSerializer.SerializeToUtf8Bytes(records[i], DlopboxJsonContext.Default.ChangeRecord);
                var properties = new BasicProperties
                {
                    DeliveryMode = DeliveryModes.Persistent,
                    ContentType = "application/json",
                };
                confirms[i] = channel.BasicPublishAsync(string.Empty, topology.StreamName, mandatory: true,
                    properties, body, cancellationToken).AsTask();
            }
            await Task.WhenAll(confirms);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever broke (connection, nack, return), the next batch starts on a fresh channel.
            LogPublishFailed(logger, records.Count, ex.Message);
            await ResetChannelAsync();
            throw new StreamUnavailableException("The event stream did not confirm the batch.", ex);
        }
        finally
        {
            _writer.Release();
        }
    }

    private async Task<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
            return open;
        await ResetChannelAsync();

        var connection = await connections.GetAsync(cancellationToken);
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(
                publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true,
                // A batch of thousands of events is published at once; the default (128 in flight) throttles it.
                outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(20_000)),
            cancellationToken);
        await topology.DeclareAsync(channel, cancellationToken);
        _channel = channel;
        return channel;
    }

    private async Task ResetChannelAsync()
    {
        if (_channel is null)
            return;
        try
        {
            await _channel.DisposeAsync();
        }
        catch (Exception)
        {
            // A broken channel may fail to close; it is being replaced either way.
        }
        _channel = null;
    }

    public async ValueTask DisposeAsync()
    {
        await ResetChannelAsync();
        _writer.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing a batch of {Count} events failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, int count, string reason);
}

/// <summary>The broker is unreachable or did not confirm; the caller should retry later.</summary>
public sealed class StreamUnavailableException(string message, Exception inner) : Exception(message, inner);

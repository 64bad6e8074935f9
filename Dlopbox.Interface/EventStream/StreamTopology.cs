using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Dlopbox.Interface.EventStream;

/// <summary>Declares the event stream: one durable stream queue, with age and size retention.</summary>
public sealed class StreamTopology(IOptions<InterfaceOptions> options)
{
    // The publisher, the indexer and the log writer all declare the stream; RabbitMQ answers two
    // concurrent declarations of a new stream with INTERNAL_ERROR, which closes the shared connection.
    private readonly SemaphoreSlim _declaring = new(1, 1);

    public string StreamName => options.Value.StreamName;

    public async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await _declaring.WaitAsync(cancellationToken);
        try
        {
            await DeclareOnceAsync(channel, cancellationToken);
        }
        finally
        {
            _declaring.Release();
        }
    }

    private async Task DeclareOnceAsync(IChannel channel, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = "stream",
            ["x-max-age"] = o.StreamMaxAge,
            ["x-max-length-bytes"] = o.StreamMaxLengthBytes,
        };
        if (o.StreamMaxSegmentSizeBytes is { } segment)
            arguments["x-stream-max-segment-size-bytes"] = segment;

        await channel.QueueDeclareAsync(o.StreamName, durable: true, exclusive: false, autoDelete: false,
            arguments: arguments, cancellationToken: cancellationToken);
    }
}

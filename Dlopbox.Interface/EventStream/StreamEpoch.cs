using System.Runtime.CompilerServices;
using Dlopbox.EventBus;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Dlopbox.Interface.EventStream;

/// <summary>
/// The identity of the stream the broker holds now. A broker that lost its data re-creates the stream empty and
/// its offsets restart at 0, so anything keyed by offset (the index, the event log, clients' checkpoints) is only
/// valid for the epoch it was read under. Resolved once per broker connection: a broker restart always replaces
/// the connection (<see cref="RabbitConnectionProvider"/>), and only a restart can lose the stream.
/// </summary>
public sealed partial class StreamEpoch(StreamTopology topology, IOptions<InterfaceOptions> options, ILogger<StreamEpoch> logger)
{
    // Keyed by the connection object itself, so a replaced connection (and its entry) is resolved anew and the old one collected.
    private readonly ConditionalWeakTable<IConnection, Resolved> _resolved = new();
    private readonly SemaphoreSlim _resolving = new(1, 1);
    private volatile Resolved? _current;

    /// <summary>The epoch last resolved; null before the first resolution or for a stream written before epochs.</summary>
    public string? Current => _current?.Epoch;

    /// <summary>
    /// The epoch of the stream on <paramref name="connection"/>'s broker: the one its records carry, or a new one
    /// when the stream is empty (null for a stream written before epochs, which keeps being stamped null).
    /// </summary>
    public async Task<string?> ResolveAsync(IConnection connection, CancellationToken cancellationToken)
    {
        if (_resolved.TryGetValue(connection, out var known))
            return known.Epoch;
        await _resolving.WaitAsync(cancellationToken);
        try
        {
            if (_resolved.TryGetValue(connection, out var raced))
                return raced.Epoch;
            // Declared first: the probe's passive declare fails on a broker that has no stream yet.
            await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
                await topology.DeclareAsync(channel, cancellationToken);
            var head = await StreamEpochProbe.ReadAsync(connection, topology.StreamName, options.Value.StreamProbeTimeout, cancellationToken);
            var resolved = new Resolved(head.IsEmpty ? Guid.NewGuid().ToString("N") : head.Epoch);
            if (head.IsEmpty)
                LogNewEpoch(logger, topology.StreamName, resolved.Epoch);
            _resolved.AddOrUpdate(connection, resolved);
            _current = resolved;
            return resolved.Epoch;
        }
        finally
        {
            _resolving.Release();
        }
    }

    /// <summary>A box, since the table holds reference values and a null epoch is a valid answer.</summary>
    private sealed record Resolved(string? Epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "The stream {Stream} is empty: new epoch {Epoch}")]
    private static partial void LogNewEpoch(ILogger logger, string stream, string? epoch);
}

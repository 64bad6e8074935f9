using Dlopbox.EventBus;
using RabbitMQ.Client;

namespace Dlopbox.Interface.EventStream;

/// <summary>
/// One broker connection shared by the publisher and the stream's readers, opened on demand and replaced
/// when it breaks. It comes from <see cref="StreamConnectionFactory"/> (the integration's settings, automatic
/// recovery off): each user decides how to resume (the indexer and the event log from their own offsets, the
/// publisher on the next request).
/// </summary>
public sealed class RabbitConnectionProvider(StreamConnectionFactory factory) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public async Task<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open)
            return open;

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsOpen: true } raced)
                return raced;
            if (_connection is not null)
                await _connection.DisposeAsync();
            _connection = null;
            _connection = await factory.CreateConnectionAsync(cancellationToken);
            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        _gate.Dispose();
    }
}

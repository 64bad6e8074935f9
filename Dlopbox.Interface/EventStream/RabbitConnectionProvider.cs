using Dlopbox.Contracts;
using RabbitMQ.Client;

namespace Dlopbox.Interface.EventStream;

/// <summary>
/// One broker connection shared by the publisher and the indexer, opened on demand and replaced
/// when it breaks. Automatic recovery is off: each user decides how to resume (the indexer from its
/// own offset, the publisher on the next request).
/// </summary>
public sealed class RabbitConnectionProvider(IConfiguration configuration, IHostEnvironment environment) : IAsyncDisposable
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

            var connectionString = configuration.GetConnectionString(WireNames.RabbitConnection)
                ?? throw new InvalidOperationException($"ConnectionStrings:{WireNames.RabbitConnection} is not set.");
            var factory = new ConnectionFactory
            {
                Uri = new Uri(connectionString),
                AutomaticRecoveryEnabled = false,
                TopologyRecoveryEnabled = false,
                ClientProvidedName = environment.ApplicationName,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
            };
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

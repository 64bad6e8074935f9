using Dlopbox.EventBus;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Dlopbox.Client.Broker;

/// <summary>
/// Reads which stream the broker holds now (<see cref="StreamEpochProbe"/>) on a connection of its own, as the
/// client's read-only user. A broker that lost its data always restarts, which breaks the subscription, so one
/// probe at the start of every session is enough. Throws like a failed subscribe (broker down, 404, timeout).
/// </summary>
internal class StreamHeadProbe(StreamConnectionFactory connectionFactory, IOptions<ClientOptions> options)
{
    /// <summary>How long a stream that holds records is given to send one; its broker is answering, so this is generous.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    public virtual async Task<StreamHead> ReadAsync(CancellationToken cancellationToken)
    {
        var connection = await connectionFactory.CreateConnectionAsync(cancellationToken);
        try
        {
            return await StreamEpochProbe.ReadAsync(connection, options.Value.StreamName, Timeout, cancellationToken);
        }
        finally
        {
            try
            {
                if (connection.IsOpen)
                    await connection.CloseAsync(CloseTimeout);
            }
            catch (Exception)
            {
                // A broken connection may fail to close every way; it is going away regardless.
            }
            await connection.DisposeAsync();
        }
    }
}

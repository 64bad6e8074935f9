using RabbitMQ.Client;

namespace Dlopbox.EventBus;

/// <summary>
/// Connections for the users of the event stream (publisher, stream consumers, epoch probes). Every setting is the
/// configured factory's (Aspire.RabbitMQ.Client's: <c>ConnectionStrings:rabbit</c> and
/// <c>Aspire:RabbitMQ:Client:ConnectionFactory</c>) except recovery, which is off: a stream consumer that the library
/// re-subscribed would start again at the offset of its first subscribe, beside the session its owner opens from the
/// offset it actually reached, and records would be applied twice and out of order. Each owner resumes on its own.
/// </summary>
public sealed class StreamConnectionFactory
{
    private readonly ConnectionFactory _factory;

    public StreamConnectionFactory(IConnectionFactory configured, string clientProvidedName)
    {
        if (configured is not ConnectionFactory source)
            throw new ArgumentException($"Expected the {nameof(ConnectionFactory)} that Aspire.RabbitMQ.Client registers, got {configured.GetType()}.", nameof(configured));
        _factory = WithoutRecovery(source, clientProvidedName);
    }

    public string ClientProvidedName => _factory.ClientProvidedName!;

    public Task<IConnection> CreateConnectionAsync(CancellationToken cancellationToken) => _factory.CreateConnectionAsync(cancellationToken);

    /// <summary>A copy of <paramref name="source"/>'s connection settings; the shared factory itself is never changed.</summary>
    internal static ConnectionFactory WithoutRecovery(ConnectionFactory source, string clientProvidedName) => new()
    {
        // The endpoint carries host, port and TLS (from the URI or the section's HostName/Port/Ssl).
        Endpoint = (AmqpTcpEndpoint)source.Endpoint.Clone(),
        MaxInboundMessageBodySize = source.MaxInboundMessageBodySize,
        AmqpUriSslProtocols = source.AmqpUriSslProtocols,
        UserName = source.UserName,
        Password = source.Password,
        VirtualHost = source.VirtualHost,
        CredentialsProvider = source.CredentialsProvider,
        AuthMechanisms = source.AuthMechanisms,
        ClientProperties = new Dictionary<string, object?>(source.ClientProperties),
        ConsumerDispatchConcurrency = source.ConsumerDispatchConcurrency,
        ContinuationTimeout = source.ContinuationTimeout,
        HandshakeContinuationTimeout = source.HandshakeContinuationTimeout,
        RequestedChannelMax = source.RequestedChannelMax,
        RequestedFrameMax = source.RequestedFrameMax,
        RequestedHeartbeat = source.RequestedHeartbeat,
        RequestedConnectionTimeout = source.RequestedConnectionTimeout,
        SocketReadTimeout = source.SocketReadTimeout,
        SocketWriteTimeout = source.SocketWriteTimeout,
        EndpointResolverFactory = source.EndpointResolverFactory,
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
        ClientProvidedName = clientProvidedName,
    };
}

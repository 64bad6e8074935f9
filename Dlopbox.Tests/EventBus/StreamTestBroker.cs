using Dlopbox.Embedded;
using RabbitMQ.Client;

namespace Dlopbox.Tests.EventBus;

/// <summary>
/// A rabbitmq-server of one test's own with one stream's two users, as deployments have them: the Interface's
/// (<see cref="Writer"/>, which declares and publishes) and a client's read-only one (<see cref="Reader"/>).
/// </summary>
internal sealed class StreamTestBroker : IAsyncDisposable
{
    private readonly string _dir;

    private StreamTestBroker(string stream, string dir, BrokerUser writer, BrokerUser reader, EmbeddedRabbitMq broker)
    {
        Stream = stream;
        _dir = dir;
        Writer = writer;
        Reader = reader;
        Broker = broker;
    }

    public string Stream { get; }

    public EmbeddedRabbitMq Broker { get; }

    public BrokerUser Writer { get; }

    public BrokerUser Reader { get; }

    public static async Task<StreamTestBroker> StartAsync(string stream)
    {
        var dir = Path.Combine(Path.GetTempPath(), "dlopbox-" + stream + "-" + Guid.NewGuid().ToString("N"));
        var (writer, reader) = (BrokerUser.Interface("writer-secret"), BrokerUser.Client("reader-secret", stream));
        return new StreamTestBroker(stream, dir, writer, reader, await EmbeddedRabbitMq.StartAsync(dir, [writer, reader], echo: false, CancellationToken.None));
    }

    public async Task<IConnection> ConnectAsync(BrokerUser user) =>
        await new ConnectionFactory { Uri = new Uri(user.AmqpUri(Broker.Port)) }.CreateConnectionAsync();

    /// <summary>Declares the stream as the writer (when it is not there yet) and publishes the bodies, each confirmed.</summary>
    public async Task DeclareAndPublishAsync(IEnumerable<byte[]> bodies)
    {
        await using var connection = await ConnectAsync(Writer);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(Stream, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "stream" });
        foreach (var body in bodies)
            await channel.BasicPublishAsync(string.Empty, Stream, mandatory: true, new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, body);
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

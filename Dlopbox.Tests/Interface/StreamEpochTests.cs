using Dlopbox.Embedded;
using Dlopbox.Interface;
using Dlopbox.Interface.EventStream;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Dlopbox.Tests.Interface;

/// <summary>The Interface's stream epoch on a real rabbitmq-server, as the Interface's user, across a broker that lost its data.</summary>
public sealed class StreamEpochTests : IAsyncLifetime
{
    private const string Stream = "dlopbox.epoch-test";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlopbox-epoch-" + Guid.NewGuid().ToString("N"));
    private readonly BrokerUser _user = BrokerUser.Interface("interface-secret");
    private EmbeddedRabbitMq _broker = null!;

    public async Task InitializeAsync() =>
        _broker = await EmbeddedRabbitMq.StartAsync(_dir, [_user], echo: false, CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Resolve_KeepsTheEpochOfTheStreamAcrossConnections_AndMakesANewOneAfterTheBrokerLostItsData()
    {
        var options = Options.Create(new InterfaceOptions { StreamName = Stream });
        var topology = new StreamTopology(options);
        var epoch = new StreamEpoch(topology, options, NullLogger<StreamEpoch>.Instance);
        Assert.Null(epoch.Current);

        string? first;
        await using (var connection = await ConnectAsync())
        {
            // Concurrent callers on one connection share one resolution (and one declaration).
            var both = await Task.WhenAll(epoch.ResolveAsync(connection, CancellationToken.None), epoch.ResolveAsync(connection, CancellationToken.None));
            first = both[0];
            Assert.NotNull(first);
            Assert.Equal(first, both[1]);
            Assert.Equal(first, epoch.Current);
            await PublishAsync(topology, connection, first);
        }

        // A new connection to the same broker reads the epoch back from the stream's records.
        await using (var connection = await ConnectAsync())
        {
            var fresh = new StreamEpoch(topology, options, NullLogger<StreamEpoch>.Instance);
            Assert.Equal(first, await fresh.ResolveAsync(connection, CancellationToken.None));
            Assert.Equal(first, await epoch.ResolveAsync(connection, CancellationToken.None));
        }

        await _broker.StopAsync();
        Directory.Delete(Path.Combine(_dir, "mnesia"), recursive: true);
        await _broker.StartAgainAsync(CancellationToken.None);

        await using (var connection = await ConnectAsync())
        {
            var second = await epoch.ResolveAsync(connection, CancellationToken.None);
            Assert.NotNull(second);
            Assert.NotEqual(first, second);
            Assert.Equal(second, epoch.Current);
        }
    }

    private async Task<IConnection> ConnectAsync() =>
        await new ConnectionFactory { Uri = new Uri(_user.AmqpUri(_broker.Port)) }.CreateConnectionAsync();

    /// <summary>One record stamped with <paramref name="epoch"/>, as the publisher stamps them.</summary>
    private static async Task PublishAsync(StreamTopology topology, IConnection connection, string? epoch)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await topology.DeclareAsync(channel, CancellationToken.None);
        var record = new Dlopbox.Contracts.ChangeRecord
        {
            Change = Dlopbox.Contracts.FileChange.Mkdir("d"),
            Source = "test",
            ReceivedAt = DateTimeOffset.UtcNow,
            Epoch = epoch,
        };
        await channel.BasicPublishAsync(string.Empty, topology.StreamName, mandatory: true, new BasicProperties { DeliveryMode = DeliveryModes.Persistent },
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, Dlopbox.Contracts.DlopboxJsonContext.Default.ChangeRecord));
    }
}

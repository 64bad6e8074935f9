using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using Dlopbox.EventBus;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Dlopbox.Tests.EventBus;

/// <summary>The epoch probe on a real rabbitmq-server, as the least-privileged client user, across a broker that lost its data.</summary>
public sealed class StreamEpochProbeTests : IAsyncLifetime
{
    private const string Stream = "dlopbox.probe-test";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlopbox-probe-" + Guid.NewGuid().ToString("N"));
    private readonly BrokerUser _writer = BrokerUser.Interface("writer-secret");
    private readonly BrokerUser _reader = BrokerUser.Client("reader-secret", Stream);
    private EmbeddedRabbitMq _broker = null!;

    public async Task InitializeAsync() =>
        _broker = await EmbeddedRabbitMq.StartAsync(_dir, [_writer, _reader], echo: false, CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Probe_TellsAnEmptyStreamFromOneWithRecordsAndReadsTheirEpoch_AsTheReadOnlyClientUser()
    {
        await using var reader = await ConnectAsync(_reader);
        var missing = await Assert.ThrowsAsync<OperationInterruptedException>(() => StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None));
        Assert.Equal((ushort)404, missing.ShutdownReason?.ReplyCode);

        await using var reader2 = await ConnectAsync(_reader);
        await DeclareAndPublishAsync(epoch: null, count: 0);
        Assert.Equal(StreamHead.Empty, await StreamEpochProbe.ReadAsync(reader2, Stream, Timeout, CancellationToken.None));

        await DeclareAndPublishAsync("epoch-1", count: 3);
        var head = await StreamEpochProbe.ReadAsync(reader2, Stream, Timeout, CancellationToken.None);
        Assert.False(head.IsEmpty);
        Assert.Equal("epoch-1", head.Epoch);
        Assert.InRange(head.Offset, 0, 2);
        // The probe leaves the connection usable: it runs on a channel of its own.
        Assert.Equal("epoch-1", (await StreamEpochProbe.ReadAsync(reader2, Stream, Timeout, CancellationToken.None)).Epoch);
    }

    [Fact]
    public async Task Probe_SeesTheStreamEmptyAgain_AfterTheBrokerLostItsData()
    {
        await DeclareAndPublishAsync("before", count: 5);
        await using (var reader = await ConnectAsync(_reader))
            Assert.Equal("before", (await StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None)).Epoch);

        await _broker.StopAsync();
        Directory.Delete(_broker.DataDir, recursive: true);
        await _broker.StartAgainAsync(CancellationToken.None);

        await DeclareAndPublishAsync(epoch: null, count: 0);
        await using (var reader = await ConnectAsync(_reader))
            Assert.Equal(StreamHead.Empty, await StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None));
        await DeclareAndPublishAsync("after", count: 1);
        await using (var reader = await ConnectAsync(_reader))
            Assert.Equal(new StreamHead(false, "after", 0), await StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None));
    }

    private async Task<IConnection> ConnectAsync(BrokerUser user) =>
        await new ConnectionFactory { Uri = new Uri(user.AmqpUri(_broker.Port)) }.CreateConnectionAsync();

    private async Task DeclareAndPublishAsync(string? epoch, int count)
    {
        await using var connection = await ConnectAsync(_writer);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(Stream, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "stream" });
        for (var i = 0; i < count; i++)
        {
            var record = new ChangeRecord { Change = FileChange.Mkdir($"d{i}"), Source = "test", ReceivedAt = DateTimeOffset.UtcNow, Epoch = epoch };
            await channel.BasicPublishAsync(string.Empty, Stream, mandatory: true, new BasicProperties { DeliveryMode = DeliveryModes.Persistent },
                JsonSerializer.SerializeToUtf8Bytes(record, DlopboxJsonContext.Default.ChangeRecord));
        }
    }
}

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

    private StreamTestBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await StreamTestBroker.StartAsync(Stream);

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Probe_TellsAnEmptyStreamFromOneWithRecordsAndReadsTheirEpoch_AsTheReadOnlyClientUser()
    {
        await using var reader = await _broker.ConnectAsync(_broker.Reader);
        var missing = await Assert.ThrowsAsync<OperationInterruptedException>(() => StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None));
        Assert.Equal((ushort)404, missing.ShutdownReason?.ReplyCode);

        await using var reader2 = await _broker.ConnectAsync(_broker.Reader);
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
        await using (var reader = await _broker.ConnectAsync(_broker.Reader))
            Assert.Equal("before", (await StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None)).Epoch);

        await _broker.Broker.StopAsync();
        Directory.Delete(_broker.Broker.DataDir, recursive: true);
        await _broker.Broker.StartAgainAsync(CancellationToken.None);

        await DeclareAndPublishAsync(epoch: null, count: 0);
        await using (var reader = await _broker.ConnectAsync(_broker.Reader))
            Assert.Equal(StreamHead.Empty, await StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None));
        await DeclareAndPublishAsync("after", count: 1);
        await using (var reader = await _broker.ConnectAsync(_broker.Reader))
            Assert.Equal(new StreamHead(false, "after", 0), await StreamEpochProbe.ReadAsync(reader, Stream, Timeout, CancellationToken.None));
    }

    private Task DeclareAndPublishAsync(string? epoch, int count) =>
        _broker.DeclareAndPublishAsync(Enumerable.Range(0, count).Select(i => JsonSerializer.SerializeToUtf8Bytes(
            new ChangeRecord { Change = FileChange.Mkdir($"d{i}"), Source = "test", ReceivedAt = DateTimeOffset.UtcNow, Epoch = epoch },
            DlopboxJsonContext.Default.ChangeRecord)));
}

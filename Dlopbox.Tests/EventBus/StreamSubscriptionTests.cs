using System.Text;
using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using Dlopbox.EventBus;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Dlopbox.Tests.EventBus;

/// <summary>The stream subscription on a real rabbitmq-server, as the read-only client user.</summary>
public sealed class StreamSubscriptionTests : IAsyncLifetime
{
    private const string Stream = "dlopbox.subscription-test";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly StreamSubscriptionOptions Options = new(Prefetch: 10);

    private StreamTestBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await StreamTestBroker.StartAsync(Stream);

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Subscription_DeliversTypedRecordsFromTheOffsetAskedFor_InOrder()
    {
        await PublishAsync([Record("d0"), Record("d1"), Record("d2"), Record("d3"), Record("d4")]);
        await using var connection = await _broker.ConnectAsync(_broker.Reader);
        await using var subscription = await StreamSubscription.OpenAsync(connection, Stream, 2, Options, CancellationToken.None);

        // The broker starts at the chunk holding the offset asked for: older messages may come first, never later ones.
        var messages = await ReadUntilAsync(subscription, offset: 4);
        var from2 = messages.SkipWhile(m => m.Offset < 2).ToList();
        Assert.Equal([2L, 3L, 4L], from2.Select(m => m.Offset!.Value));
        Assert.Equal(["d2", "d3", "d4"], from2.Select(m => m.Record!.Change.Path));
        Assert.All(from2, m => Assert.Null(m.Error));
        Assert.All(from2, m => Assert.Equal(default, m.TraceParent));
        Assert.Null(subscription.EndReason);

        // Acks only grant credit: more than a prefetch's worth flows once they are acked.
        await subscription.AckAsync(from2[^1].DeliveryTag, CancellationToken.None);
        await PublishAsync(Enumerable.Range(5, 25).Select(i => Record($"d{i}")).ToArray());
        var next = new List<StreamMessage>();
        while (next.Count == 0 || next[^1].Offset < 29)
        {
            next.AddRange(await ReadUntilAsync(subscription, offset: (next.LastOrDefault()?.Offset ?? 4) + 1));
            await subscription.AckAsync(next[^1].DeliveryTag, CancellationToken.None);
        }
        Assert.Equal(Enumerable.Range(5, 25).Select(i => (long)i), next.Select(m => m.Offset!.Value));
    }

    [Fact]
    public async Task Subscription_ReportsABodyThatIsNotARecord_AsAnErrorWithItsOffset()
    {
        await _broker.DeclareAndPublishAsync([JsonSerializer.SerializeToUtf8Bytes(Record("ok"), DlopboxJsonContext.Default.ChangeRecord), Encoding.UTF8.GetBytes("not json"), Encoding.UTF8.GetBytes("null")]);
        await using var connection = await _broker.ConnectAsync(_broker.Reader);
        await using var subscription = await StreamSubscription.OpenAsync(connection, Stream, 0, Options, CancellationToken.None);

        var messages = await ReadUntilAsync(subscription, offset: 2);
        Assert.Equal([0L, 1L, 2L], messages.Select(m => m.Offset!.Value));
        Assert.Equal("ok", messages[0].Record!.Change.Path);
        Assert.Null(messages[1].Record);
        Assert.False(string.IsNullOrEmpty(messages[1].Error));
        Assert.Null(messages[2].Record);
        Assert.Equal("null body", messages[2].Error);
    }

    [Fact]
    public async Task Subscription_EndsWithAReason_WhenItsConnectionCloses()
    {
        await PublishAsync([Record("d0")]);
        var connection = await _broker.ConnectAsync(_broker.Reader);
        await using var subscription = await StreamSubscription.OpenAsync(connection, Stream, 0, Options, CancellationToken.None);
        await ReadUntilAsync(subscription, offset: 0);

        await connection.CloseAsync();
        await AssertEndsAsync(subscription);
        // The channel or the connection, whichever RabbitMQ.Client reports first; never "cancelled".
        Assert.Contains("closed", subscription.EndReason);
        // Acking after the end is harmless: on a stream it only grants credit.
        await subscription.AckAsync(1, CancellationToken.None);
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task Subscription_EndsWithAReason_WhenTheBrokerGoesAway()
    {
        await PublishAsync([Record("d0")]);
        await using var connection = await _broker.ConnectAsync(_broker.Reader);
        await using var subscription = await StreamSubscription.OpenAsync(connection, Stream, 0, Options, CancellationToken.None);
        await ReadUntilAsync(subscription, offset: 0);

        await _broker.Broker.StopAsync();
        await AssertEndsAsync(subscription);
        Assert.NotNull(subscription.EndReason);
    }

    [Fact]
    public async Task Disposing_EndsTheSubscriptionButLeavesAConnectionItDoesNotOwnOpen()
    {
        await PublishAsync([Record("d0")]);
        await using var connection = await _broker.ConnectAsync(_broker.Reader);
        var subscription = await StreamSubscription.OpenAsync(connection, Stream, 0, Options, CancellationToken.None);
        await subscription.DisposeAsync();
        Assert.Equal("stopped", subscription.EndReason);
        Assert.True(connection.IsOpen);

        var owning = await _broker.ConnectAsync(_broker.Reader);
        var owned = await StreamSubscription.OpenAsync(owning, Stream, 0, Options with { OwnsConnection = true }, CancellationToken.None);
        await owned.DisposeAsync();
        Assert.False(owning.IsOpen);
    }

    [Fact]
    public async Task Open_FailsLikeTheBroker_OnAMissingStream_AndLeavesTheConnectionToItsOwner()
    {
        await using var connection = await _broker.ConnectAsync(_broker.Reader);
        var missing = await Assert.ThrowsAsync<OperationInterruptedException>(() =>
            StreamSubscription.OpenAsync(connection, Stream, 0, Options with { OwnsConnection = true }, CancellationToken.None));
        Assert.Equal((ushort)404, missing.ShutdownReason?.ReplyCode);
        Assert.True(connection.IsOpen);
    }

    private static ChangeRecord Record(string path) =>
        new() { Change = FileChange.Mkdir(path), Source = "test", ReceivedAt = DateTimeOffset.UtcNow, Epoch = "e" };

    private static async Task<List<StreamMessage>> ReadUntilAsync(StreamSubscription subscription, long offset)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var messages = new List<StreamMessage>();
        await foreach (var message in subscription.Messages.ReadAllAsync(timeout.Token))
        {
            messages.Add(message);
            if (message.Offset >= offset)
                return messages;
        }
        throw new InvalidOperationException($"The subscription ended ({subscription.EndReason}) before offset {offset}.");
    }

    private static async Task AssertEndsAsync(StreamSubscription subscription)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var _ in subscription.Messages.ReadAllAsync(timeout.Token))
        {
            // Whatever was still buffered.
        }
        Assert.True(subscription.Messages.Completion.IsCompleted);
    }

    private Task PublishAsync(ChangeRecord[] records) =>
        _broker.DeclareAndPublishAsync(records.Select(r => JsonSerializer.SerializeToUtf8Bytes(r, DlopboxJsonContext.Default.ChangeRecord)).ToArray());
}

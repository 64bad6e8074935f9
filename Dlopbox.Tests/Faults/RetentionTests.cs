using System.Diagnostics;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using Dlopbox.Tests.Integration;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;
using static Dlopbox.Tests.Faults.FaultAssert;

namespace Dlopbox.Tests.Faults;

/// <summary>
/// A system whose stream keeps about a second of events in 64 KiB segments (retention drops whole
/// segments). Stream arguments are fixed when the stream is declared, hence a system of its own; its
/// Interface must not be restarted (it rebuilds its index from the stream's first offset).
/// </summary>
public sealed class TinyRetentionFixture() : EmbeddedSystemFixture("retention")
{
    protected override EmbeddedSystemOptions Configure(EmbeddedSystemOptions options) => options with
    {
        InterfaceSettings = new Dictionary<string, string?>
        {
            ["Interface__StreamMaxAge"] = "1s",
            ["Interface__StreamMaxSegmentSizeBytes"] = "65536",
            ["Interface__StreamMaxLengthBytes"] = "1000000",
        },
    };
}

[CollectionDefinition(Name)]
public sealed class TinyRetentionCollection : ICollectionFixture<TinyRetentionFixture>
{
    public const string Name = "faults-tiny-retention";
}

[Collection(TinyRetentionCollection.Name)]
public sealed class RetentionTests(TinyRetentionFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task S03_A_client_away_longer_than_the_stream_keeps_says_so_once_and_reconciles_from_a_snapshot()
    {
        var client = fixture.System.Clients[0];
        Directory.CreateDirectory(Path.Combine(fixture.MasterDir, "before"));
        for (var i = 0; i < 20; i++)
            await File.WriteAllTextAsync(Path.Combine(fixture.MasterDir, "before", $"b{i}.txt"), $"before {i}\n");
        await FaultAssert.ConvergesAsync(fixture.MasterDir, [fixture.ReplicaDir], DefaultTimeout);

        await client.StopAsync();
        var saved = SavedOffset(Path.Combine(fixture.Root, "state", client.Name, "client-state.json"));
        var accessMark = fixture.System.Files.ReadAccessLog().Count;
        var logMark = LogMark(client);

        // Changes keep coming while the client is away, until retention has dropped the next event it needs.
        var rounds = 0;
        var clock = Stopwatch.StartNew();
        long first;
        while ((first = await FirstOffsetAsync()) <= saved + 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"retention kept offset {saved + 1} (first is {first}) for 60 s");
            await WriteBurstAsync(fixture.MasterDir, $"while-away/r{rounds:00}", 200, seed: rounds);
            rounds++;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        output.WriteLine($"client saved offset {saved}; the stream now starts at {first} after {rounds} rounds of 200 files");

        clock.Restart();
        client.Start();
        await FaultAssert.ConvergesAsync(fixture.MasterDir, [fixture.ReplicaDir], DefaultTimeout);
        ConvergenceTimes.Record(output, "3 client away longer than retention (1 s, 64 KiB segments)", clock.Elapsed, $"{rounds * 200} files created while away");

        var log = await LogOnceItSaysAsync(client, logMark, "Stream retention dropped events the replica needs", "Reconciled");
        Assert.Equal(1, CountLines(log, "Stream retention dropped events the replica needs"));
        Assert.Contains("Reconciled", log);
        // Snapshot + reconcile keeps what the replica already has.
        Assert.DoesNotContain(DownloadsSince(fixture.System.Files, accessMark, client), p => p.StartsWith("before/", StringComparison.Ordinal));
    }

    /// <summary>The first offset the stream still holds, as a consumer starting at "first" sees it.</summary>
    private async Task<long> FirstOffsetAsync()
    {
        var uri = fixture.System.Interface.Environment["ConnectionStrings__" + WireNames.RabbitConnection]!;
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 1, global: false);
        var firstOffset = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, args) =>
        {
            firstOffset.TrySetResult(Convert.ToInt64(args.BasicProperties.Headers!["x-stream-offset"], System.Globalization.CultureInfo.InvariantCulture));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(WireNames.EventStream, autoAck: false, consumerTag: "", noLocal: false, exclusive: false,
            new Dictionary<string, object?> { ["x-stream-offset"] = "first" }, consumer);
        return await firstOffset.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

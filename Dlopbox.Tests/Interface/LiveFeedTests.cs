using Dlopbox.Contracts;
using Dlopbox.Interface.Index;
using Dlopbox.Interface.Live;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Interface;

/// <summary>The live page's feed and the clients registry, with the clock in the test's hand.</summary>
public sealed class LiveFeedTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static ChangeRecord Write(string path, long size, DateTimeOffset at) => new()
    {
        Change = FileChange.Write(path, size, at, new string('a', 64)) with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        Source = "test",
        ReceivedAt = at,
    };

    [Fact]
    public void Throughput_counts_events_and_written_bytes_per_slice_by_when_they_were_received()
    {
        var clock = new ManualTimeProvider(Start);
        var feed = new LiveFeed(Options.Create(new LiveOptions { BucketSeconds = 5, ThroughputMinutes = 1 }), clock);
        feed.Publish(0, Write("a", 100, Start.AddSeconds(-7)));
        feed.Publish(1, Write("b", 50, Start.AddSeconds(-6)));
        feed.Publish(2, new ChangeRecord { Change = FileChange.Mkdir("d"), Source = "test", ReceivedAt = Start });
        // Older than the chart reaches (a catch-up after a restart): not counted.
        feed.Publish(3, Write("old", 999, Start.AddMinutes(-5)));

        var buckets = feed.Throughput();
        Assert.Equal(12, buckets.Count);
        Assert.Equal(Start, buckets[^1].Start);
        Assert.Equal(new ThroughputBucket(Start, 1, 0), buckets[^1]);
        Assert.Equal(new ThroughputBucket(Start.AddSeconds(-10), 2, 150), buckets[^3]);
        Assert.Equal(3, buckets.Sum(b => b.Events));

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.All(feed.Throughput(), b => Assert.Equal(0, b.Events));
    }

    [Fact]
    public async Task A_subscriber_gets_the_recent_events_after_its_offset_then_new_ones_without_trace_or_hash()
    {
        var feed = new LiveFeed(Options.Create(new LiveOptions { RecentEvents = 3 }), new ManualTimeProvider(Start));
        for (var i = 0; i < 5; i++)
            feed.Publish(i, Write($"f{i}", i, Start));

        using var all = feed.Subscribe(null);
        using var resumed = feed.Subscribe(3);
        feed.Publish(5, Write("f5", 5, Start));

        Assert.Equal([2L, 3, 4, 5], Drain(all));
        Assert.Equal([4L, 5], Drain(resumed));
        Assert.False(all.Events.TryPeek(out _));

        using var one = feed.Subscribe(4);
        var logged = await one.Events.ReadAsync();
        Assert.Null(logged.Change.TraceParent);
        Assert.Null(logged.Change.Sha256);
        Assert.Equal("f5", logged.Change.Path);
        Assert.Equal(5, logged.Change.Size);
    }

    [Fact]
    public void A_slow_subscriber_loses_the_oldest_events_and_is_told_how_many()
    {
        var feed = new LiveFeed(Options.Create(new LiveOptions { RecentEvents = 0, SubscriberBuffer = 16 }), new ManualTimeProvider(Start));
        using var slow = feed.Subscribe(null);
        for (var i = 0; i < 20; i++)
            feed.Publish(i, Write($"f{i}", 1, Start));

        Assert.Equal(4, slow.TakeDropped());
        Assert.Equal(0, slow.TakeDropped());
        Assert.Equal(Enumerable.Range(4, 16).Select(i => (long)i), Drain(slow));

        slow.Dispose();
        Assert.Equal(0, feed.Subscribers);
        feed.Publish(20, Write("after", 1, Start));
    }

    [Fact]
    public void The_registry_computes_lag_against_the_index_and_forgets_the_silent_and_the_surplus()
    {
        var clock = new ManualTimeProvider(Start);
        var index = new MasterIndex();
        for (var i = 0; i <= 9; i++)
            index.Apply(i, FileChange.Mkdir($"d{i}"));
        var registry = new ClientRegistry(index, Options.Create(new LiveOptions { MaxClients = 2, ForgetClientsAfter = TimeSpan.FromMinutes(10) }), clock);

        registry.Report("behind", new ClientProgress { Phase = ClientPhase.Following, AppliedOffset = 6, LagSeconds = 1.5 });
        clock.Advance(TimeSpan.FromSeconds(1));
        registry.Report("fresh", new ClientProgress { Phase = ClientPhase.Starting, AppliedOffset = -1 });
        Assert.Equal(3, registry.Find("behind")!.LagEvents);
        Assert.Equal(10, registry.Find("fresh")!.LagEvents);
        Assert.Equal(Start, registry.Find("behind")!.LastSeen);
        Assert.Equal(["behind", "fresh"], registry.Overview().Clients.Select(c => c.Name));
        Assert.Equal(9, registry.Overview().HeadOffset);

        // Ahead of the index (it trails the same stream for a moment): never a negative lag.
        clock.Advance(TimeSpan.FromSeconds(1));
        registry.Report("behind", new ClientProgress { Phase = ClientPhase.Following, AppliedOffset = 12 });
        Assert.Equal(0, registry.Find("behind")!.LagEvents);

        // A third client pushes out the one heard from longest ago.
        clock.Advance(TimeSpan.FromSeconds(1));
        registry.Report("third", new ClientProgress { Phase = ClientPhase.Following, AppliedOffset = 9 });
        Assert.Null(registry.Find("fresh"));
        Assert.Equal(2, registry.All().Count);

        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Empty(registry.All());
    }

    private static List<long> Drain(LiveFeed.Subscription subscription)
    {
        var offsets = new List<long>();
        while (subscription.Events.TryRead(out var logged))
            offsets.Add(logged.Offset);
        return offsets;
    }
}

using System.Threading.Channels;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Interface.Live;

/// <summary>
/// What the live page shows of the stream: the newest events (so a page that opens or reconnects starts
/// with some), a feed per connected page, and events and bytes per time slice over the last minutes.
/// Fed by <see cref="Index.StreamIndexer"/>, so it shows every event appended, whichever Interface took it.
/// Publishing never waits: a page that reads too slowly loses its oldest unread events and is told so.
/// </summary>
public sealed class LiveFeed(IOptions<LiveOptions> options, TimeProvider time)
{
    private readonly LiveOptions _settings = options.Value;
    private readonly Lock _lock = new();
    private readonly Queue<LoggedEvent> _recent = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly Dictionary<long, (long Events, long Bytes)> _buckets = [];

    public int BucketSeconds => _settings.BucketSeconds;

    /// <summary>Called by the stream follower for each event, in offset order.</summary>
    public void Publish(long offset, ChangeRecord record)
    {
        var logged = new LoggedEvent
        {
            Offset = offset,
            Change = record.Change with { TraceParent = null, Sha256 = null },
            Source = record.Source,
            ReceivedAt = record.ReceivedAt,
        };
        lock (_lock)
        {
            _recent.Enqueue(logged);
            while (_recent.Count > _settings.RecentEvents)
                _recent.Dequeue();

            // Counted by when the Interface received the event, so a catch-up after a restart lands in the right slices.
            var bucket = BucketOf(record.ReceivedAt);
            if (bucket > BucketOf(time.GetUtcNow()) - BucketCount)
            {
                _buckets.TryGetValue(bucket, out var sums);
                _buckets[bucket] = (sums.Events + 1, sums.Bytes + (record.Change.Kind == ChangeKind.Write ? record.Change.Size ?? 0 : 0));
            }

            foreach (var subscriber in _subscribers)
                subscriber.Events.Writer.TryWrite(logged);
        }
    }

    /// <summary>
    /// Forgets the recent events: they are of a stream that is gone (its broker lost its data), and their offsets
    /// would hide the new stream's from a page that reconnects after one of them.
    /// </summary>
    public void ClearRecent()
    {
        lock (_lock)
            _recent.Clear();
    }

    /// <summary>
    /// A new page: the recent events after <paramref name="afterOffset"/> (all recent ones when null) are queued
    /// first, then everything published from now on. Dispose the subscription when the page goes away.
    /// </summary>
    public Subscription Subscribe(long? afterOffset)
    {
        var subscriber = new Subscriber(_settings.SubscriberBuffer);
        lock (_lock)
        {
            foreach (var recent in _recent)
            {
                if (afterOffset is null || recent.Offset > afterOffset)
                    subscriber.Events.Writer.TryWrite(recent);
            }
            _subscribers.Add(subscriber);
        }
        return new Subscription(this, subscriber);
    }

    /// <summary>Events and bytes per slice over the last <see cref="LiveOptions.ThroughputMinutes"/>, oldest first, empty slices included.</summary>
    public IReadOnlyList<ThroughputBucket> Throughput()
    {
        var now = BucketOf(time.GetUtcNow());
        var first = now - BucketCount + 1;
        var result = new ThroughputBucket[BucketCount];
        lock (_lock)
        {
            foreach (var old in _buckets.Keys.Where(b => b < first).ToList())
                _buckets.Remove(old);
            for (var i = 0; i < BucketCount; i++)
            {
                _buckets.TryGetValue(first + i, out var sums);
                result[i] = new ThroughputBucket(DateTimeOffset.FromUnixTimeSeconds((first + i) * _settings.BucketSeconds), sums.Events, sums.Bytes);
            }
        }
        return result;
    }

    public int Subscribers
    {
        get
        {
            lock (_lock)
                return _subscribers.Count;
        }
    }

    private int BucketCount => _settings.ThroughputMinutes * 60 / _settings.BucketSeconds;

    private long BucketOf(DateTimeOffset at) => at.ToUnixTimeSeconds() / _settings.BucketSeconds;

    private void Remove(Subscriber subscriber)
    {
        lock (_lock)
            _subscribers.Remove(subscriber);
        subscriber.Events.Writer.TryComplete();
    }

    internal sealed class Subscriber
    {
        public Subscriber(int buffer)
        {
            Events = Channel.CreateBounded<LoggedEvent>(new BoundedChannelOptions(buffer)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = true,
            }, _ => Interlocked.Increment(ref Dropped));
        }

        public Channel<LoggedEvent> Events { get; }

        public long Dropped;
    }

    /// <summary>One page's feed: read <see cref="Events"/>; <see cref="TakeDropped"/> says how many it lost to a full buffer.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly LiveFeed _feed;
        private readonly Subscriber _subscriber;

        internal Subscription(LiveFeed feed, Subscriber subscriber)
        {
            _feed = feed;
            _subscriber = subscriber;
        }

        public ChannelReader<LoggedEvent> Events => _subscriber.Events.Reader;

        public long TakeDropped() => Interlocked.Exchange(ref _subscriber.Dropped, 0);

        public void Dispose() => _feed.Remove(_subscriber);
    }
}

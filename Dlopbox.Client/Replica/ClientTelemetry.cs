using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Replica;

/// <summary>
/// The client's traces and metrics (activity source and meter <c>Dlopbox.Client</c>). Each stream event is
/// applied under a span "apply {kind}" that continues the trace the Interface's publish put into the message's
/// AMQP headers: a child of RabbitMQ.Client's own "deliver" span when that span continues it, else of the
/// publisher's span with a link to the delivery. A write's span lasts until its download is done; the download's
/// HTTP GET (HttpClient instrumentation) is its child because <see cref="Activity.Current"/> flows into the
/// download task.
/// </summary>
internal sealed class ClientTelemetry
{
    public const string Name = "Dlopbox.Client";

    public static readonly ActivitySource Source = new(Name);

    private readonly AppliedOffsetTracker _offsets;
    private readonly TimeProvider _time;
    private readonly Counter<long> _consumed;
    private readonly Counter<long> _downloadedBytes;
    private readonly Counter<long> _hashMismatches;
    private readonly Counter<long> _retries;
    private readonly KeyValuePair<string, object?>[] _consumedTags;
    private readonly KeyValuePair<string, object?> _clientTag;

    /// <summary>Past this many queued events the applied ones are dropped; what stays is at most what is in flight.</summary>
    private const int TrimThreshold = 256;

    private readonly Lock _lock = new();

    /// <summary>Dispatched events not yet known to be applied, oldest first: what the lag in seconds is measured from.</summary>
    private readonly Queue<(long Offset, DateTimeOffset ReceivedAt)> _unapplied = new();

    private DateTimeOffset? _lastAppliedReceivedAt;
    private long _head = -1;

    public ClientTelemetry(IMeterFactory meterFactory, AppliedOffsetTracker offsets, IOptions<ClientOptions> options, TimeProvider time)
    {
        _offsets = offsets;
        _time = time;
        var settings = options.Value;
        _clientTag = new("dlopbox.client.name", settings.Name);
        _consumedTags =
        [
            new("messaging.system", "rabbitmq"),
            new("messaging.destination.name", settings.StreamName),
            new("messaging.operation.name", "deliver"),
            new("messaging.operation.type", "process"),
        ];

        var meter = meterFactory.Create(Name);
        _consumed = meter.CreateCounter<long>("messaging.client.consumed.messages", "{message}",
            "Stream messages delivered to this client.");
        _downloadedBytes = meter.CreateCounter<long>("dlopbox.client.downloaded_bytes", "By",
            "Bytes read from the file server, whether or not they matched.");
        _hashMismatches = meter.CreateCounter<long>("dlopbox.client.hash_mismatches", "{file}",
            "Downloads discarded because their size or SHA-256 was not the announced one (the file changed again).");
        _retries = meter.CreateCounter<long>("dlopbox.client.retries", "{retry}",
            "Downloads tried again after a transient failure (network, file server, local I/O).");
        meter.CreateObservableGauge("dlopbox.client.applied_offset", ObserveAppliedOffset, "{offset}",
            "Highest stream offset up to which every event is applied to the replica.");
        meter.CreateObservableGauge("dlopbox.client.lag.events", ObserveLagEvents, "{event}",
            "Events delivered to this client and not yet applied (stream head − applied offset).");
        meter.CreateObservableGauge("dlopbox.client.lag.seconds", ObserveLagSeconds, "s",
            "How far the replica is behind the master: now − when the Interface received the oldest unapplied event; 0 when caught up.");
    }

    /// <summary>A message was delivered (called on the broker's callback, one at a time).</summary>
    public void Received(long offset)
    {
        _consumed.Add(1, _consumedTags);
        // The client only roughly knows the stream's head: the highest offset delivered to it stands in for it
        // (exact while the client keeps up; the broker's own head may be up to a prefetch window ahead).
        if (offset > Volatile.Read(ref _head))
            Volatile.Write(ref _head, offset);
    }

    /// <summary>The event at <paramref name="offset"/> is being applied.</summary>
    public void Dispatching(long offset, DateTimeOffset receivedAt)
    {
        lock (_lock)
        {
            // Observing the lag trims the queue; this only bounds it when nobody observes (no exporter).
            if (_unapplied.Count >= TrimThreshold)
                TrimApplied(_offsets.Watermark);
            _unapplied.Enqueue((offset, receivedAt));
        }
    }

    public void Downloaded(long bytes) => _downloadedBytes.Add(bytes, _clientTag);

    public void Mismatch(string what) => _hashMismatches.Add(1, _clientTag, new("dlopbox.mismatch", what));

    public void Retrying(string operation) => _retries.Add(1, _clientTag, new("dlopbox.operation", operation));

    /// <summary>
    /// Starts the span the event at <paramref name="offset"/> is applied under (and makes it current); null when
    /// nobody listens. <paramref name="parent"/>: the delivery's or the publisher's context (see <see cref="EventBus.StreamMessage"/>).
    /// </summary>
    public static Activity? StartApply(long offset, FileChange change, ActivityContext parent, ActivityContext delivered)
    {
        if (!Source.HasListeners())
            return null;
        ActivityLink[]? links = delivered != default ? [new ActivityLink(delivered)] : null;
        var activity = Source.StartActivity(ApplyName(change.Kind), ActivityKind.Internal, parent, links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("dlopbox.change.kind", change.Kind.ToString().ToLowerInvariant());
            activity.SetTag("dlopbox.path", change.Path);
            activity.SetTag("dlopbox.offset", offset);
        }
        return activity;
    }

    private IEnumerable<Measurement<long>> ObserveAppliedOffset()
    {
        var applied = _offsets.Watermark;
        return applied < 0 ? [] : [new Measurement<long>(applied, _clientTag)];
    }

    private IEnumerable<Measurement<long>> ObserveLagEvents()
    {
        var head = Volatile.Read(ref _head);
        return head < 0 ? [] : [new Measurement<long>(Math.Max(0, head - _offsets.Watermark), _clientTag)];
    }

    private IEnumerable<Measurement<double>> ObserveLagSeconds() => [new Measurement<double>(LagSeconds(), _clientTag)];

    /// <summary>
    /// How far the replica is behind the master: now − when the Interface received the oldest event not yet applied;
    /// 0 when caught up. One computation for the gauge and the progress reports.
    /// </summary>
    public double LagSeconds()
    {
        var applied = _offsets.Watermark;
        var head = Volatile.Read(ref _head);
        DateTimeOffset? since;
        lock (_lock)
        {
            TrimApplied(applied);
            // Behind with nothing in flight (delivered, not yet dispatched): the last applied event's age bounds it.
            since = _unapplied.TryPeek(out var oldest) ? oldest.ReceivedAt
                : head > applied ? _lastAppliedReceivedAt
                : null;
        }
        return since is { } start ? Math.Max(0, (_time.GetUtcNow() - start).TotalSeconds) : 0;
    }

    private void TrimApplied(long applied)
    {
        while (_unapplied.TryPeek(out var oldest) && oldest.Offset <= applied)
            _lastAppliedReceivedAt = _unapplied.Dequeue().ReceivedAt;
    }

    private static string ApplyName(ChangeKind kind) => kind switch
    {
        ChangeKind.Write => "apply write",
        ChangeKind.Mkdir => "apply mkdir",
        ChangeKind.Delete => "apply delete",
        ChangeKind.Move => "apply move",
        _ => "apply",
    };
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dlopbox.Contracts;

namespace Dlopbox.Watcher;

/// <summary>
/// The watcher's traces and metrics (activity source and meter <c>Dlopbox.Watcher</c>). Each emitted change
/// gets its own root span, "detect {kind}", whose context rides in the change (<see cref="FileChange.TraceParent"/>)
/// so the Interface and the clients continue that change's trace, batch or not. The POST of a batch is one
/// span, "send batch": a child of its first change's span (so the HTTP hop shows in that trace) and linked
/// to every change's span. Spans are only built while a listener (the OpenTelemetry SDK) is attached.
/// </summary>
internal sealed class WatcherTelemetry
{
    public const string Name = "Dlopbox.Watcher";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>OpenTelemetry's default span limit: links past it are dropped at export anyway.</summary>
    private const int MaxLinks = 128;

    private const string KindTag = "dlopbox.change.kind";
    private const string OutcomeTag = "dlopbox.outcome";

    private readonly Counter<long> _detected;
    private readonly Counter<long> _batchesPosted;
    private readonly Counter<long> _retries;

    public WatcherTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _detected = meter.CreateCounter<long>("dlopbox.watcher.events_detected", "{event}",
            "Changes of the master tree the watcher emitted, by kind.");
        _batchesPosted = meter.CreateCounter<long>("dlopbox.watcher.batches_posted", "{batch}",
            "Batches the Interface answered, by outcome (accepted, too_large, rejected).");
        _retries = meter.CreateCounter<long>("dlopbox.watcher.retries", "{retry}",
            "POSTs of a batch tried again after the Interface did not take it (outage, refused token).");
    }

    /// <summary>Timestamp for <see cref="Detected"/>: when the op that may emit changes was taken; default when not tracing.</summary>
    public static DateTimeOffset DetectStart(TimeProvider time) => Source.HasListeners() ? time.GetUtcNow() : default;

    /// <summary>
    /// Counts <paramref name="changes"/>[<paramref name="from"/>..] and, when tracing, starts and ends a root
    /// span per change (from <paramref name="start"/>: the op's hashing is part of it) and stamps its context into the change.
    /// </summary>
    public void Detected(List<FileChange> changes, int from, DateTimeOffset start)
    {
        var tracing = start != default && Source.HasListeners();
        var ambient = Activity.Current;
        if (tracing)
            Activity.Current = null; // each change is the root of its own trace, whatever ran before
        try
        {
            for (var i = from; i < changes.Count; i++)
            {
                var change = changes[i];
                _detected.Add(1, new KeyValuePair<string, object?>(KindTag, KindName(change.Kind)));
                if (!tracing)
                    continue;
                using var activity = Source.StartActivity(DetectName(change.Kind), ActivityKind.Internal,
                    parentContext: default, startTime: start);
                if (activity is null)
                    continue;
                if (activity.IsAllDataRequested)
                {
                    activity.SetTag(KindTag, KindName(change.Kind));
                    activity.SetTag("dlopbox.path", change.Path);
                    if (change.OldPath is not null)
                        activity.SetTag("dlopbox.old_path", change.OldPath);
                    if (change.Size is { } size)
                        activity.SetTag("dlopbox.size", size);
                }
                changes[i] = change with { TraceParent = activity.Id };
            }
        }
        finally
        {
            if (tracing)
                Activity.Current = ambient;
        }
    }

    /// <summary>
    /// The span of one POST of <paramref name="changes"/> (with its retries): child of the first change's span,
    /// linked to each change's span. Null when not tracing.
    /// </summary>
    public static Activity? StartSend(IReadOnlyList<FileChange> changes)
    {
        if (!Source.HasListeners())
            return null;
        ActivityContext parent = default;
        List<ActivityLink>? links = null;
        for (var i = 0; i < changes.Count && i < MaxLinks; i++)
        {
            if (!ActivityContext.TryParse(changes[i].TraceParent, null, out var context))
                continue;
            if (parent == default)
                parent = context;
            (links ??= new List<ActivityLink>(Math.Min(changes.Count, MaxLinks))).Add(new ActivityLink(context));
        }
        var activity = Source.StartActivity("send batch", ActivityKind.Internal, parent, links: links);
        activity?.SetTag("dlopbox.batch.events", changes.Count);
        return activity;
    }

    public void Posted(Activity? send, string outcome)
    {
        _batchesPosted.Add(1, new KeyValuePair<string, object?>(OutcomeTag, outcome));
        if (send is null)
            return;
        send.SetTag(OutcomeTag, outcome);
        if (outcome != Outcomes.Accepted)
            send.SetStatus(ActivityStatusCode.Error, outcome);
    }

    public void Retrying(Activity? send, string problem)
    {
        _retries.Add(1);
        send?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["dlopbox.problem"] = problem }));
    }

    public static class Outcomes
    {
        public const string Accepted = "accepted";
        public const string TooLarge = "too_large";
        public const string Rejected = "rejected";
    }

    private static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.Write => "write",
        ChangeKind.Mkdir => "mkdir",
        ChangeKind.Delete => "delete",
        ChangeKind.Move => "move",
        _ => "unknown",
    };

    private static string DetectName(ChangeKind kind) => kind switch
    {
        ChangeKind.Write => "detect write",
        ChangeKind.Mkdir => "detect mkdir",
        ChangeKind.Delete => "detect delete",
        ChangeKind.Move => "detect move",
        _ => "detect",
    };
}

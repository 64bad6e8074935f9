using System.Diagnostics;
using Dlopbox.Contracts;

namespace Dlopbox.Interface.EventStream;

/// <summary>
/// Names of the Interface's traces and metrics (activity source and meter <c>Dlopbox.Interface</c>).
/// Each change is appended under its own span, "append {kind}", whose parent is the watcher's span of that
/// change (the <see cref="FileChange.TraceParent"/> of the batch) and which links the HTTP request's span.
/// RabbitMQ.Client's own publisher span ("publish {stream}", source <c>RabbitMQ.Client.Publisher</c>) is its
/// child and injects the trace context into the AMQP headers; the span ends when the broker confirmed.
/// </summary>
public static class InterfaceTelemetry
{
    public const string Name = "Dlopbox.Interface";

    public static readonly ActivitySource Source = new(Name);

    // OpenTelemetry messaging semantic conventions (attribute and metric names).
    public const string MessagingSystem = "messaging.system";
    public const string MessagingDestination = "messaging.destination.name";
    public const string MessagingOperationName = "messaging.operation.name";
    public const string MessagingOperationType = "messaging.operation.type";
    public const string ErrorType = "error.type";

    /// <summary>The semantic conventions' name since 1.28 (earlier: <c>messaging.client.published.messages</c>).</summary>
    public const string SentMessagesMetric = "messaging.client.sent.messages";
    public const string OperationDurationMetric = "messaging.client.operation.duration";
    public const string HeadOffsetMetric = "dlopbox.stream.head_offset";

    /// <summary>
    /// The semantic conventions' buckets, with finer ones below 5 ms: a confirm on a healthy local broker takes about 1 ms.
    /// </summary>
    public static readonly IReadOnlyList<double> DurationBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>
    /// Starts the span a change is appended under, and makes it current so RabbitMQ.Client's publisher span
    /// is its child. Null when nobody listens. <paramref name="parent"/> is the watcher's span of the change
    /// (default: none, the span then hangs under the HTTP request's span, which is current).
    /// </summary>
    public static Activity? StartAppend(ChangeRecord record, ActivityContext parent, string stream)
    {
        if (!Source.HasListeners())
            return null;
        var request = Activity.Current;
        ActivityLink[]? links = parent != default && request is not null ? [new ActivityLink(request.Context)] : null;
        var activity = Source.StartActivity(AppendName(record.Change.Kind), ActivityKind.Internal, parent, links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("dlopbox.change.kind", record.Change.Kind.ToString().ToLowerInvariant());
            activity.SetTag("dlopbox.path", record.Change.Path);
            activity.SetTag(MessagingSystem, "rabbitmq");
            activity.SetTag(MessagingDestination, stream);
        }
        return activity;
    }

    private static string AppendName(ChangeKind kind) => kind switch
    {
        ChangeKind.Write => "append write",
        ChangeKind.Mkdir => "append mkdir",
        ChangeKind.Delete => "append delete",
        ChangeKind.Move => "append move",
        _ => "append",
    };
}

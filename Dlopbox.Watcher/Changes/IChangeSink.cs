using Dlopbox.Contracts;

namespace Dlopbox.Watcher.Changes;

/// <summary>Where emitted changes go: the Interface over HTTP in the service, a collector in tests.</summary>
internal interface IChangeSink
{
    /// <summary>
    /// Delivers <paramref name="changes"/> in order (none: a probe for the stream's epoch), retrying as long
    /// as it takes. Returns the changes the receiver accepted (all of them, unless some were rejected as
    /// malformed and dropped) and the epoch of the stream they went to, when the answer told it.
    /// </summary>
    Task<Delivery> DeliverAsync(IReadOnlyList<FileChange> changes, CancellationToken cancellationToken);
}

/// <summary>
/// The identity of the event stream as the Interface reported it. <see cref="Id"/> null is a stream from
/// before epochs; a missing <see cref="StreamEpoch"/> (null) means the answer did not say, which is no news.
/// </summary>
internal readonly record struct StreamEpoch(string? Id);

/// <summary>What a delivery achieved: the accepted changes and, if known, the epoch of the stream that took them.</summary>
internal sealed record Delivery(IReadOnlyList<FileChange> Accepted, StreamEpoch? Epoch = null);

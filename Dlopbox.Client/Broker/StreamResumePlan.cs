using Dlopbox.EventBus;

namespace Dlopbox.Client.Broker;

/// <summary>
/// Where a stream session starts, decided from what the replica has applied and what the broker holds now.
/// A broker that lost its data makes the stream anew, empty, with offsets from 0 again: a saved offset is only
/// good on the stream (epoch) it was read from. On a new stream the session follows it from 0 rather than
/// reconciling: right after the data loss the Interface's index is empty until the watcher has sent the master
/// again, and a reconcile would delete the replica's files; following the new stream converges instead.
/// </summary>
/// <param name="From">The offset to subscribe from.</param>
/// <param name="Epoch">The epoch of the stream followed; null when it was written before epochs, or when <paramref name="EpochUnknown"/>.</param>
/// <param name="EpochUnknown">The stream was empty: the first record delivered tells its epoch.</param>
/// <param name="IsNewStream">The replica applied records of another stream: the applied offset is forgotten.</param>
internal sealed record StreamResumePlan(long From, string? Epoch, bool EpochUnknown, bool IsNewStream)
{
    /// <param name="savedEpoch">The epoch the applied offset belongs to (null: a stream written before epochs).</param>
    /// <param name="watermark">The offset up to which the replica is applied; -1 when nothing is.</param>
    /// <param name="head">What the broker's stream holds now.</param>
    public static StreamResumePlan Decide(string? savedEpoch, long watermark, StreamHead head)
    {
        if (head.IsEmpty)
        {
            // Retention never empties a stream, so an empty one that something was applied from is a new stream.
            return watermark >= 0
                ? new StreamResumePlan(0, null, EpochUnknown: true, IsNewStream: true)
                : new StreamResumePlan(0, savedEpoch, EpochUnknown: true, IsNewStream: false);
        }
        if (string.Equals(head.Epoch, savedEpoch, StringComparison.Ordinal))
            return new StreamResumePlan(watermark + 1, savedEpoch, EpochUnknown: false, IsNewStream: false);
        // Nothing applied yet: there is no offset to forget, only the stream's epoch to take.
        return new StreamResumePlan(0, head.Epoch, EpochUnknown: false, IsNewStream: watermark >= 0);
    }
}

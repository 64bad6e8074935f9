using Dlopbox.Contracts;

namespace Dlopbox.Interface.EventLog;

/// <summary>
/// Keeps the event log to one stream: its offsets only hold on the stream they were read from, so on another one
/// (the broker lost its data and its offsets restart at 0) the log starts again empty under the new epoch.
/// </summary>
internal static partial class EventLogEpoch
{
    /// <summary>
    /// Null when the log, of <paramref name="storedEpoch"/> at <paramref name="checkpoint"/>, is of the stream of
    /// <paramref name="epoch"/> (null and null are the same stream, written before epochs); else resets the store to
    /// <paramref name="epoch"/> and returns its stored index (empty) to follow the stream from.
    /// </summary>
    public static async Task<Snapshot?> MatchAsync(IEventLogStore store, string? storedEpoch, long checkpoint, int entries,
        string? epoch, ILogger logger, CancellationToken cancellationToken)
    {
        if (string.Equals(storedEpoch, epoch, StringComparison.Ordinal))
            return null;
        // A fresh log just takes the epoch; only one that held something is worth a warning.
        if (checkpoint >= 0 || entries > 0)
            LogNewStream(logger, epoch, storedEpoch, store.Name, checkpoint);
        await store.ResetAsync(epoch, cancellationToken);
        return await store.LoadIndexAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The event stream is new (epoch {New}, was {Old}): the event log ({Store}) drops its events up to offset {Checkpoint} and starts again from offset 0")]
    private static partial void LogNewStream(ILogger logger, string? @new, string? old, string store, long checkpoint);
}

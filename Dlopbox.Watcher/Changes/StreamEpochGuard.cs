namespace Dlopbox.Watcher.Changes;

/// <summary>What a delivery's epoch means for the acknowledged state.</summary>
internal enum EpochVerdict
{
    /// <summary>Unknown, or the stream the state was sent to: nothing to do.</summary>
    Same,

    /// <summary>A fresh state learnt its stream's epoch: save it, nothing to resend.</summary>
    Adopted,

    /// <summary>The stream was made anew: what the state says was sent is gone, send the master again.</summary>
    NewStream,
}

/// <summary>
/// Keeps the epoch of the stream the acknowledged state was sent to and judges the epochs deliveries report.
/// A broker that lost its data dir makes the stream anew and empty, while the state still says everything
/// was sent: a changed epoch is how the watcher learns it must send the master again.
/// </summary>
internal sealed partial class StreamEpochGuard(ILogger logger)
{
    /// <summary>The epoch of the acknowledged state's stream; null is a stream from before epochs (or none yet).</summary>
    public string? Epoch { get; set; }

    /// <param name="reported">What the answer said; null (unknown, an outage) is never news.</param>
    /// <param name="stateIsEmpty">The acknowledged index has no entry: then a first epoch has nothing to replay.</param>
    public EpochVerdict Observe(StreamEpoch? reported, bool stateIsEmpty)
    {
        if (reported is not { Id: var id } || string.Equals(id, Epoch, StringComparison.Ordinal))
            return EpochVerdict.Same;
        var fresh = stateIsEmpty && Epoch is null;
        var old = Epoch;
        Epoch = id;
        if (fresh)
        {
            LogAdopted(logger, id);
            return EpochVerdict.Adopted;
        }
        LogNewStream(logger, id, old);
        return EpochVerdict.NewStream;
    }

    [LoggerMessage(LogLevel.Information, "The event stream's epoch is {Epoch}")]
    private static partial void LogAdopted(ILogger logger, string? epoch);

    [LoggerMessage(LogLevel.Warning, "The event stream is new (epoch {New}, was {Old}): sending the master again")]
    private static partial void LogNewStream(ILogger logger, string? @new, string? old);
}

namespace Dlopbox.ServiceDefaults.Retry;

/// <summary>How an outage ended: how long it lasted and how many attempts failed during it.</summary>
public readonly record struct OutageEnded(TimeSpan Duration, int FailedAttempts);

/// <summary>
/// Which failures and successes of calls to a dependency are worth a log line: the failure that starts an outage
/// (<see cref="Failed"/> returns true) and the first success after it (<see cref="Succeeded"/> returns how the outage
/// ended), so a dependency down for an hour leaves two lines, not one per retry. The lines stay with the caller, as
/// its own source-generated messages: each names what is down, and what to do, in its own words. Thread-safe:
/// parallel attempts share one outage, and of many failing at once exactly one starts it.
/// </summary>
public sealed class OutageLog(TimeProvider time)
{
    private readonly Lock _lock = new();
    private volatile bool _ongoing;
    private long _startTimestamp;
    private int _failedAttempts;

    /// <summary>From the failure that started it (or <see cref="StartedElsewhere"/>) until the next success.</summary>
    public bool IsOngoing => _ongoing;

    /// <summary>An attempt failed. True when it starts an outage: log it. False while one goes on: say nothing, or at debug.</summary>
    public bool Failed()
    {
        lock (_lock)
        {
            if (_ongoing)
            {
                _failedAttempts++;
                return false;
            }
            Start(failedAttempts: 1);
            return true;
        }
    }

    /// <summary>
    /// An outage starts now that someone else has logged (the session that lost a stream): every failure after it
    /// is one that goes on, and the success that ends it is reported by <see cref="Succeeded"/> as usual.
    /// </summary>
    public void StartedElsewhere()
    {
        lock (_lock)
        {
            if (!_ongoing)
                Start(failedAttempts: 0);
        }
    }

    /// <summary>An attempt worked. How the outage ended, when it ends one: log it; null otherwise (the usual case, a volatile read).</summary>
    public OutageEnded? Succeeded()
    {
        if (!_ongoing)
            return null;
        lock (_lock)
        {
            if (!_ongoing)
                return null;
            _ongoing = false;
            return new OutageEnded(time.GetElapsedTime(_startTimestamp), _failedAttempts);
        }
    }

    private void Start(int failedAttempts)
    {
        _startTimestamp = time.GetTimestamp();
        _failedAttempts = failedAttempts;
        _ongoing = true;
    }
}

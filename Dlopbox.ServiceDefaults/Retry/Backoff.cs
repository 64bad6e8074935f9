namespace Dlopbox.ServiceDefaults.Retry;

/// <summary>
/// Capped exponential backoff for a retry loop: the first wait is <see cref="First"/>, each next one twice the last,
/// never more than <see cref="Max"/>; <see cref="Reset"/> after a success starts again from <see cref="First"/>.
/// Waits on a <see cref="TimeProvider"/>, so tests move the clock instead of sleeping. One per loop: not thread-safe.
/// </summary>
public sealed class Backoff
{
    private readonly TimeProvider _time;

    public Backoff(TimeSpan first, TimeSpan max, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);
        First = first;
        Max = max;
        NextDelay = first;
        _time = time;
    }

    public TimeSpan First { get; }

    public TimeSpan Max { get; }

    /// <summary>How long the next <see cref="WaitAsync"/> waits.</summary>
    public TimeSpan NextDelay { get; private set; }

    /// <summary>Waits <see cref="NextDelay"/>, then doubles it up to <see cref="Max"/>.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var delay = NextDelay;
        await Task.Delay(delay, _time, cancellationToken);
        // Halving the cap rather than doubling the delay cannot overflow, however large the cap.
        NextDelay = delay >= Max / 2 ? Max : delay * 2;
    }

    /// <summary>The dependency works again: the next failure waits <see cref="First"/> again.</summary>
    public void Reset() => NextDelay = First;
}

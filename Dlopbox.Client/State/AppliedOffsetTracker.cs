namespace Dlopbox.Client.State;

/// <summary>
/// Knows which stream offsets are fully applied. Events are dispatched in stream order but their
/// downloads finish in any order; the watermark is the highest offset N such that every event up to N
/// is done, which is what may be persisted: resuming at N + 1 then misses nothing. Thread-safe.
/// </summary>
internal sealed class AppliedOffsetTracker
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, int> _pending = new();
    private long _lastDispatched = -1;

    /// <summary>Highest offset handed to the applier (done or not).</summary>
    public long LastDispatched
    {
        get
        {
            lock (_lock)
                return _lastDispatched;
        }
    }

    /// <summary>Highest offset up to which everything is applied; -1 when nothing is.</summary>
    public long Watermark
    {
        get
        {
            lock (_lock)
                return _pending.Count == 0 ? _lastDispatched : _pending.Keys.First() - 1;
        }
    }

    /// <summary>Forgets everything in flight and starts over as if <paramref name="applied"/> were fully applied.</summary>
    public void Reset(long applied)
    {
        lock (_lock)
        {
            _pending.Clear();
            _lastDispatched = applied;
        }
    }

    /// <summary>Records that the event at <paramref name="offset"/> is being applied. Offsets must increase.</summary>
    public void Begin(long offset)
    {
        lock (_lock)
        {
            if (offset <= _lastDispatched)
                throw new InvalidOperationException($"Offset {offset} dispatched after {_lastDispatched}: events must be applied in stream order.");
            _pending.Add(offset, 1);
            _lastDispatched = offset;
        }
    }

    /// <summary>One more piece of work (a download) for an offset already begun and not yet complete; each needs its own <see cref="Complete"/>.</summary>
    public void Retain(long offset)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(offset, out var holds))
                throw new InvalidOperationException($"Offset {offset} is not in flight.");
            _pending[offset] = holds + 1;
        }
    }

    /// <summary>Records that the event at <paramref name="offset"/> (or one piece of it, see <see cref="Retain"/>) is done.</summary>
    public void Complete(long offset)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(offset, out var holds) && holds > 1)
                _pending[offset] = holds - 1;
            else
                _pending.Remove(offset);
        }
    }

    /// <summary>Begin and complete at once: for events applied synchronously.</summary>
    public void Done(long offset)
    {
        Begin(offset);
        Complete(offset);
    }
}

namespace Dlopbox.Watcher;

/// <summary>Where the watcher stands, for the readiness check and for logs.</summary>
internal sealed class WatcherState
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _watching;
    private volatile bool _watchLimitReached;
    private long _interfaceUnavailableSinceTicks;

    /// <summary>Watches (or the first poll) are set up.</summary>
    public bool IsWatching => _watching;

    /// <summary>Watching, and the startup rescan's changes are accepted by the Interface.</summary>
    public bool IsReady => _ready.Task.IsCompleted;

    public Task WhenReady => _ready.Task;

    /// <summary>inotify ran out of watches: changes are found by periodic rescans, with more latency.</summary>
    public bool WatchLimitReached => _watchLimitReached;

    /// <summary>Since when the Interface has not taken a batch, or null while it does.</summary>
    public DateTimeOffset? InterfaceUnavailableSince
    {
        get
        {
            var ticks = Interlocked.Read(ref _interfaceUnavailableSinceTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
        set => Interlocked.Exchange(ref _interfaceUnavailableSinceTicks, value?.UtcTicks ?? 0);
    }

    public void MarkWatching() => _watching = true;

    public void MarkWatchLimitReached() => _watchLimitReached = true;

    public void MarkReady() => _ready.TrySetResult();
}

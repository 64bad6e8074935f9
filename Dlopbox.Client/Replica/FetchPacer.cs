namespace Dlopbox.Client.Replica;

/// <summary>
/// One path is fetched at most every <see cref="MinInterval"/>. A file rewritten many times a second (a log)
/// would otherwise be fetched once per version, most of them stale on arrival; paced, the versions that
/// arrive meanwhile supersede each other and only the newest is fetched. Thread-safe.
/// </summary>
internal sealed class FetchPacer(TimeProvider time)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _lastFetchStart = new(StringComparer.Ordinal);

    /// <summary>How long until <paramref name="path"/> may be fetched again (see <see cref="MinInterval"/>); null when it may now.</summary>
    public TimeSpan? TimeUntilFetchAllowed(string path)
    {
        lock (_lock)
        {
            if (!_lastFetchStart.TryGetValue(path, out var last))
                return null;
            var wait = MinInterval - time.GetElapsedTime(last);
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    public void RecordFetchStart(string path)
    {
        lock (_lock)
        {
            // Only recent fetches matter: forget the old ones now and then, so the map stays small.
            if (_lastFetchStart.Count >= 4096)
            {
                foreach (var stale in _lastFetchStart.Where(e => time.GetElapsedTime(e.Value) >= MinInterval).Select(e => e.Key).ToList())
                    _lastFetchStart.Remove(stale);
            }
            _lastFetchStart[path] = time.GetTimestamp();
        }
    }
}

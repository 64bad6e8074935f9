using Dlopbox.Contracts;

namespace Dlopbox.Client.Drift;

/// <summary>
/// The replica paths the client itself changed in the last <see cref="Window"/>, so that the drift watcher
/// does not take the client's own writes (whose inotify events arrive a moment later) for someone else's.
/// A path covers its subtree (deleting a dir reports every file in it) and its parents (created on the way).
/// Bounded: past <see cref="MaxPaths"/> the oldest are forgotten first.
/// </summary>
internal sealed class OwnWrites(TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);
    public const int MaxPaths = 65536;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _subtrees = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _parents = new(StringComparer.Ordinal);
    private readonly Queue<(string Path, long At, long Seq)> _order = new();
    private long _seq;

    /// <summary>The client is about to change <paramref name="path"/> (a wire path, relative to the replica root).</summary>
    public void Record(string path)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            Expire(now);
            // A sequence number, not the time, tells whether a later record refreshed a path (times may be equal).
            var seq = ++_seq;
            _subtrees[path] = seq;
            _order.Enqueue((path, now, seq));
            for (var parent = PathRules.Parent(path); parent is not null; parent = PathRules.Parent(parent))
                _parents[parent] = seq;
            while (_order.Count > MaxPaths)
                Forget(_order.Dequeue());
        }
    }

    /// <summary>Whether a change at <paramref name="path"/> may be the client's own.</summary>
    public bool IsRecent(string path)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            Expire(now);
            if (_subtrees.ContainsKey(path) || _parents.ContainsKey(path))
                return true;
            for (var parent = PathRules.Parent(path); parent is not null; parent = PathRules.Parent(parent))
            {
                if (_subtrees.ContainsKey(parent))
                    return true;
            }
            return false;
        }
    }

    private void Expire(long now)
    {
        while (_order.TryPeek(out var oldest) && time.GetElapsedTime(oldest.At, now) > Window)
            Forget(_order.Dequeue());
    }

    private void Forget((string Path, long At, long Seq) entry)
    {
        if (_subtrees.TryGetValue(entry.Path, out var seq) && seq == entry.Seq)
            _subtrees.Remove(entry.Path);
        for (var parent = PathRules.Parent(entry.Path); parent is not null; parent = PathRules.Parent(parent))
        {
            if (_parents.TryGetValue(parent, out var last) && last == entry.Seq)
                _parents.Remove(parent);
        }
    }
}

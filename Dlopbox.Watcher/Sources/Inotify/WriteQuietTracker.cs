using Dlopbox.Contracts;
using Dlopbox.Watcher.Changes;

namespace Dlopbox.Watcher.Sources.Inotify;

/// <summary>
/// Files whose content changed without an IN_CLOSE_WRITE saying they are done, and when to look at them:
/// <list type="bullet">
/// <item>written (IN_MODIFY) by a process that keeps them open: once no write came for the quiet period,
/// and at the latest the max delay after the first write not yet sent;</item>
/// <item>created (IN_CREATE) with no write following, e.g. a linkat'd O_TMPFILE: after the settle time,
/// unless an IN_MODIFY (then it is written, as above) or an IN_CLOSE_WRITE comes first.</item>
/// </list>
/// IN_CLOSE_WRITE ends tracking (it is its own Dirty), deletes drop tracked paths, moves rebase them. An
/// IN_MODIFY costs one dictionary lookup and a clock read: deadlines sit in a heap at their earliest
/// possible time and are checked again when due, so a later write only moves the real deadline on.
/// Used by the inotify thread only.
/// </summary>
internal sealed class WriteQuietTracker(TimeProvider time, TimeSpan settleTime, TimeSpan quietPeriod, TimeSpan maxWriteDelay)
{
    private sealed class Tracked(string path, long first)
    {
        public string Path { get; set; } = path;

        /// <summary>Created, and no write seen yet.</summary>
        public bool Settling { get; set; }

        public long First { get; set; } = first;

        public long Last { get; set; } = first;

        public bool Removed { get; set; }
    }

    private readonly Dictionary<string, Tracked> _byPath = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Tracked, long> _due = new();
    private readonly long _settleTicks = ToTimestampTicks(time, settleTime);
    private readonly long _quietTicks = ToTimestampTicks(time, quietPeriod);
    private readonly long _maxDelayTicks = ToTimestampTicks(time, maxWriteDelay);

    public int Count => _byPath.Count;

    public bool IsTracked(string path) => _byPath.ContainsKey(path);

    /// <summary>IN_CREATE of a regular file with one link: complete unless a write or a close follows within the settle time.</summary>
    public void Created(string path)
    {
        if (_byPath.ContainsKey(path))
            return;
        var now = time.GetTimestamp();
        Add(new Tracked(path, now) { Settling = true }, now + _settleTicks);
    }

    /// <summary>IN_MODIFY: O(1), no syscall.</summary>
    public void Modified(string path)
    {
        var now = time.GetTimestamp();
        if (_byPath.TryGetValue(path, out var tracked))
        {
            if (tracked.Settling)
            {
                // Being written after all: from now on the quiet period and the max delay apply (queued
                // again in case that comes before the settle time).
                tracked.Settling = false;
                tracked.First = now;
                _due.Enqueue(tracked, now + _quietTicks);
            }
            tracked.Last = now;
            return;
        }
        Add(new Tracked(path, now), now + _quietTicks);
    }

    /// <summary>IN_CLOSE_WRITE: the writer is done, and its own Dirty reports the file.</summary>
    public void Closed(string path)
    {
        if (_byPath.Remove(path, out var tracked))
            tracked.Removed = true;
    }

    /// <summary>The path (and, for a dir, all below it) is gone.</summary>
    public void Deleted(string path, bool isDir)
    {
        Closed(path);
        if (isDir && _byPath.Count > 0)
        {
            foreach (var below in Below(path))
                Closed(below.Path);
        }
    }

    /// <summary>Renamed within the tree: what was tracked at or under <paramref name="oldPath"/> is now under <paramref name="newPath"/>, which it replaces.</summary>
    public void Moved(string oldPath, string newPath, bool isDir)
    {
        Deleted(newPath, isDir);
        if (_byPath.Count == 0)
            return;
        var moving = new List<Tracked>();
        if (_byPath.Remove(oldPath, out var tracked))
            moving.Add(tracked);
        if (isDir)
        {
            foreach (var below in Below(oldPath))
            {
                _byPath.Remove(below.Path);
                moving.Add(below);
            }
        }
        foreach (var item in moving)
        {
            item.Path = PathRules.Rebase(item.Path, oldPath, newPath);
            if (_byPath.Remove(item.Path, out var replaced))
                replaced.Removed = true;
            _byPath[item.Path] = item;
        }
    }

    /// <summary>How long until the nearest deadline (zero when one is due), or null when nothing is tracked.</summary>
    public TimeSpan? UntilNextDue()
    {
        while (_due.TryPeek(out var tracked, out var at))
        {
            if (tracked.Removed)
            {
                _due.Dequeue();
                continue;
            }
            var now = time.GetTimestamp();
            return at <= now ? TimeSpan.Zero : time.GetElapsedTime(now, at);
        }
        return null;
    }

    /// <summary>Adds a forced Dirty for every path whose deadline passed, and stops tracking them.</summary>
    public void TakeDue(HeldChanges held)
    {
        var now = time.GetTimestamp();
        while (_due.TryPeek(out var tracked, out var at) && at <= now)
        {
            _due.Dequeue();
            if (tracked.Removed)
                continue;
            var deadline = Deadline(tracked);
            if (deadline > now)
            {
                _due.Enqueue(tracked, deadline); // written since it was queued: not quiet yet
                continue;
            }
            _byPath.Remove(tracked.Path);
            tracked.Removed = true;
            held.Add(new ChangeOp.Dirty(tracked.Path, Force: true));
        }
    }

    private long Deadline(Tracked tracked) => tracked.Settling
        ? tracked.First + _settleTicks
        : Math.Min(tracked.Last + _quietTicks, tracked.First + _maxDelayTicks);

    private void Add(Tracked tracked, long due)
    {
        _byPath[tracked.Path] = tracked;
        _due.Enqueue(tracked, due);
    }

    private List<Tracked> Below(string dir)
    {
        var prefix = dir + "/";
        return [.. _byPath.Values.Where(t => t.Path.StartsWith(prefix, StringComparison.Ordinal))];
    }

    private static long ToTimestampTicks(TimeProvider time, TimeSpan span) =>
        (long)Math.Ceiling(span.Ticks * (double)time.TimestampFrequency / TimeSpan.TicksPerSecond);
}

using System.Threading.Channels;
using Dlopbox.Contracts;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// The ordered, coalescing queue between the change sources and the emitter. While the emitter is busy
/// (hashing, or waiting for a POST), ops pile up here and collapse: a file rewritten many times a second
/// is one pending <see cref="ChangeOp.Dirty"/>. The rules keep the order that matters:
/// <list type="bullet">
/// <item>a Dirty already pending for a path is not added twice (a forced one upgrades it);</item>
/// <item>Delete(p) drops pending Dirty ops at or under p, and the Deletes under p right before it (rm -r: one event, not one per file);</item>
/// <item>Move(a→b) drops pending Dirty ops at or under b, and moves those at or under a after the Move, rebased to b;</item>
/// <item>a Rescan already pending is not added twice.</item>
/// </list>
/// Thread-safe.
/// </summary>
internal sealed class PendingChanges
{
    private readonly Lock _lock = new();
    private readonly LinkedList<ChangeOp> _ops = new();
    private readonly Dictionary<string, LinkedListNode<ChangeOp>> _dirtyByPath = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _dirtyPaths = new(StringComparer.Ordinal);
    private bool _rescanPending;

    // A doorbell, not a queue: one token means "look again", however many ops arrived.
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public int Count
    {
        get
        {
            lock (_lock)
                return _ops.Count;
        }
    }

    public void Enqueue(ChangeOp op)
    {
        lock (_lock)
            Add(op);
        _doorbell.Writer.TryWrite(true);
    }

    /// <summary>Adds ops in order under one lock, so a consumer never sees half of what one read of the kernel produced.</summary>
    public void EnqueueRange(IEnumerable<ChangeOp> ops)
    {
        var added = false;
        lock (_lock)
        {
            foreach (var op in ops)
            {
                Add(op);
                added = true;
            }
        }
        if (added)
            _doorbell.Writer.TryWrite(true);
    }

    public bool TryTake(out ChangeOp op)
    {
        lock (_lock)
        {
            if (_ops.First is not { } first)
            {
                op = null!;
                return false;
            }
            _ops.RemoveFirst();
            op = first.Value;
            switch (op)
            {
                case ChangeOp.Dirty dirty:
                    _dirtyByPath.Remove(dirty.Path);
                    _dirtyPaths.Remove(dirty.Path);
                    break;
                case ChangeOp.Rescan:
                    _rescanPending = false;
                    break;
            }
            return true;
        }
    }

    /// <summary>Completes when at least one op is pending.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        while (Count == 0)
            await _doorbell.Reader.ReadAsync(cancellationToken);
    }

    /// <summary>The pending ops in order (for tests and diagnostics).</summary>
    public IReadOnlyList<ChangeOp> ToList()
    {
        lock (_lock)
            return [.. _ops];
    }

    private void Add(ChangeOp op)
    {
        switch (op)
        {
            case ChangeOp.Dirty dirty:
                if (_dirtyByPath.TryGetValue(dirty.Path, out var existing))
                {
                    if (dirty.Force && !((ChangeOp.Dirty)existing.Value).Force)
                        existing.Value = dirty;
                    return;
                }
                _dirtyByPath[dirty.Path] = _ops.AddLast(dirty);
                _dirtyPaths.Add(dirty.Path);
                break;

            case ChangeOp.Delete delete:
                TakeDirtyTree(delete.Path);
                // Only the unbroken run at the tail: past any other op (a move) an older path may mean another thing.
                while (_ops.Last?.Value is ChangeOp.Delete previous && PathRules.IsSameOrUnder(previous.Path, delete.Path))
                    _ops.RemoveLast();
                _ops.AddLast(delete);
                break;

            case ChangeOp.Move move:
                TakeDirtyTree(move.NewPath);
                var moving = TakeDirtyTree(move.OldPath);
                _ops.AddLast(move);
                foreach (var dirty in moving)
                    Add(dirty with { Path = PathRules.Rebase(dirty.Path, move.OldPath, move.NewPath) });
                break;

            case ChangeOp.Rescan:
                if (_rescanPending)
                    return;
                _rescanPending = true;
                _ops.AddLast(op);
                break;
        }
    }

    /// <summary>Removes and returns the pending Dirty ops at or under <paramref name="path"/>, in queue order.</summary>
    private List<ChangeOp.Dirty> TakeDirtyTree(string path)
    {
        var paths = new List<string>();
        if (_dirtyPaths.Contains(path))
            paths.Add(path);
        paths.AddRange(_dirtyPaths.GetViewBetween(path + "/", path + "/" + PathRules.Sentinel));
        if (paths.Count == 0)
            return [];

        var nodes = new List<LinkedListNode<ChangeOp>>(paths.Count);
        foreach (var p in paths)
        {
            nodes.Add(_dirtyByPath[p]);
            _dirtyByPath.Remove(p);
            _dirtyPaths.Remove(p);
        }
        var taken = new List<ChangeOp.Dirty>(nodes.Count);
        if (nodes.Count > 1)
        {
            // Keep their relative queue order: walk the list once rather than sorting nodes.
            var wanted = nodes.ToHashSet();
            for (var node = _ops.First; node is not null && taken.Count < nodes.Count; node = node.Next)
            {
                if (wanted.Contains(node))
                    taken.Add((ChangeOp.Dirty)node.Value);
            }
        }
        else
        {
            taken.Add((ChangeOp.Dirty)nodes[0].Value);
        }
        foreach (var node in nodes)
            _ops.Remove(node);
        return taken;
    }
}

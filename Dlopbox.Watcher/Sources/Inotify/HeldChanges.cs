using Dlopbox.Watcher.Changes;

namespace Dlopbox.Watcher.Sources.Inotify;

/// <summary>
/// Ops of the current reads, held back from <see cref="PendingChanges"/> while a move is unresolved. An
/// unpaired IN_MOVED_FROM reserves a slot where it happened: filled with a Delete if it turns out to be a
/// move out of the tree (so a later re-create of the same name is not dropped by it), left empty when paired.
/// Only the resolved prefix is ever released, which keeps the order.
/// </summary>
internal sealed class HeldChanges
{
    private readonly List<ChangeOp?> _ops = [];
    private readonly HashSet<long> _unresolved = [];
    private long _firstSlot;

    public int Count => _ops.Count;

    public void Add(ChangeOp op) => _ops.Add(op);

    /// <summary>Reserves a slot for an op decided later; returns its number.</summary>
    public long Reserve()
    {
        _ops.Add(null);
        var slot = _firstSlot + _ops.Count - 1;
        _unresolved.Add(slot);
        return slot;
    }

    /// <summary>Resolves a reserved slot, with an op or with nothing.</summary>
    public void Resolve(long slot, ChangeOp? op)
    {
        _unresolved.Remove(slot);
        _ops[(int)(slot - _firstSlot)] = op;
    }

    /// <summary>Removes and returns the ops before the first unresolved slot.</summary>
    public List<ChangeOp> TakeResolved()
    {
        var count = _unresolved.Count == 0 ? _ops.Count : (int)(_unresolved.Min() - _firstSlot);
        var taken = new List<ChangeOp>(count);
        for (var i = 0; i < count; i++)
        {
            if (_ops[i] is { } op)
                taken.Add(op);
        }
        _ops.RemoveRange(0, count);
        _firstSlot += count;
        return taken;
    }
}

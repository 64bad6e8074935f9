namespace Dlopbox.Watcher.Changes;

/// <summary>
/// What a change source asks the emitter to look at. Sources only say where to look; the emitter reads the
/// disk when it gets there, so an op is never stale about content.
/// </summary>
internal abstract record ChangeOp
{
    /// <summary>Look at this path's current state. <paramref name="Force"/> rehashes even when size and mtime look unchanged (IN_CLOSE_WRITE).</summary>
    public sealed record Dirty(string Path, bool Force = false) : ChangeOp;

    /// <summary>The path (and all below it) is gone.</summary>
    public sealed record Delete(string Path) : ChangeOp;

    /// <summary>The path (and all below it) was renamed within the tree.</summary>
    public sealed record Move(string OldPath, string NewPath) : ChangeOp;

    /// <summary>Compare the whole tree with what was sent (start, queue overflow, safety net).</summary>
    public sealed record Rescan : ChangeOp
    {
        public static readonly Rescan Instance = new();

        private Rescan()
        {
        }
    }
}

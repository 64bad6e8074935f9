using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Watcher.FileSystem;

namespace Dlopbox.Watcher.Changes;

/// <summary>
/// What the emitter has told downstream (<see cref="Told"/>) and where the current op's changes go. Each
/// change is applied to <see cref="Told"/> at once, so the next decision is judged against what downstream
/// will know. Runs on the emitter's thread.
/// </summary>
internal sealed class ToldState(TreeScanner scanner)
{
    public TreeIndex Told { get; set; } = new();

    public List<FileChange> Output { get; set; } = [];

    public IndexEntry? Find(string path) => Told.TryGet(path, out var entry) ? entry : null;

    /// <summary>Tells <paramref name="change"/>; <paramref name="disk"/> is what the disk showed, whose inode and ctime are kept.</summary>
    public void Emit(FileChange change, FileStatus? disk = null)
    {
        Told.Apply(change);
        Output.Add(change);
        if (disk is { } seen)
            Told.SetStamp(change.Path, seen);
    }

    /// <summary>Tells that <paramref name="path"/> is gone, when downstream has it.</summary>
    public void EmitDelete(string path)
    {
        if (Find(path) is { } known)
            Emit(FileChange.Delete(path, known.IsDir));
    }

    /// <summary>Makes sure downstream has every ancestor of <paramref name="path"/> as a directory, top-down.</summary>
    public void EnsureParents(string path)
    {
        if (PathRules.Parent(path) is not { } parent || Find(parent) is { IsDir: true, Unsent: false })
            return;
        EnsureParents(parent);
        // An unsent dir is told again as it is (its mkdir keeps its entries); anything else goes first.
        if (Find(parent) is not { IsDir: true })
            EmitDelete(parent);
        var mode = FileStatus.TryLstat(scanner.FullPath(parent), out var disk) && disk.IsDir ? disk.Permissions : (int?)null;
        Emit(FileChange.Mkdir(parent, mode));
    }
}

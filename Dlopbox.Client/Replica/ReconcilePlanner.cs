using Dlopbox.Contracts;

namespace Dlopbox.Client.Replica;

/// <summary>What it takes to turn the local tree into a snapshot's tree, in the order to do it.</summary>
internal sealed record ReconcilePlan(
    IReadOnlyList<LocalEntry> TempFiles,
    IReadOnlyList<LocalEntry> Deletes,
    IReadOnlyList<string> Mkdirs,
    IReadOnlyList<SnapshotEntry> Downloads,
    int Kept,
    IReadOnlyList<string> Refused)
{
    public long DownloadBytes => Downloads.Sum(entry => entry.Size);

    /// <summary>Links to create, or to replace (atomically, by rename) where the local one has another target or mtime.</summary>
    public IReadOnlyList<SnapshotEntry> Symlinks { get; init; } = [];

    /// <summary>
    /// Permission bits to set: files whose content is current but whose mode is not (a chmod, no download),
    /// and dirs (new or not) with another mode. Applied last, so a read-only dir still gets its files first.
    /// </summary>
    public IReadOnlyList<ModeChange> ModeChanges { get; init; } = [];
}

internal readonly record struct ModeChange(string Path, int Mode);

/// <summary>
/// Compares a snapshot with a metadata listing of the replica. A local file with the snapshot's size and
/// mtime is kept as it is (chmodded if only its mode differs): an already-correct replica costs a directory
/// walk, not a download. An entry of another kind than the master's (a link for a file, a file for a dir,
/// and so on) is deleted and made again. With <c>keepLocalFiles</c>, an entry at a path the master does not
/// have is left alone (with its subtree); only entries in the way of the master's are deleted.
/// </summary>
internal static class ReconcilePlanner
{
    public static ReconcilePlan Plan(IEnumerable<SnapshotEntry> snapshot, IEnumerable<LocalEntry> local, bool keepLocalFiles = false)
    {
        var wanted = new Dictionary<string, SnapshotEntry>(StringComparer.Ordinal);
        var refused = new List<string>();
        foreach (var entry in snapshot)
        {
            if (PathRules.IsValid(entry.Path) && !PathRules.IsReserved(entry.Path))
                wanted[entry.Path] = entry;
            else
                refused.Add(entry.Path);
        }
        // A file implies its parent dirs even if the snapshot does not list them.
        foreach (var path in wanted.Keys.ToList())
        {
            for (var parent = PathRules.Parent(path); parent is not null && !wanted.ContainsKey(parent); parent = PathRules.Parent(parent))
                wanted[parent] = new SnapshotEntry { Path = parent, IsDir = true };
        }

        var tempFiles = new List<LocalEntry>();
        var deletes = new List<LocalEntry>();
        var deletedDirs = new HashSet<string>(StringComparer.Ordinal);
        var present = new Dictionary<string, LocalEntry>(StringComparer.Ordinal);
        foreach (var entry in local.OrderBy(entry => entry.Path, StringComparer.Ordinal))
        {
            if (IsUnderAny(entry.Path, deletedDirs))
                continue;
            if (entry.Kind is LocalKind.File or LocalKind.Link && ReplicaDirectory.IsTempName(Path.GetFileName(entry.Path)))
            {
                tempFiles.Add(entry);
                continue;
            }
            var known = wanted.TryGetValue(entry.Path, out var want);
            if (known && entry.Kind == KindOf(want!))
            {
                present[entry.Path] = entry;
                continue;
            }
            // Nothing under an extra dir is the master's either (a master path implies its parents): all kept.
            if (!known && keepLocalFiles)
                continue;
            deletes.Add(entry);
            if (entry.Kind == LocalKind.Directory)
                deletedDirs.Add(entry.Path);
        }

        var mkdirs = new List<string>();
        var downloads = new List<SnapshotEntry>();
        var symlinks = new List<SnapshotEntry>();
        var modes = new List<ModeChange>();
        var kept = 0;
        foreach (var entry in wanted.Values.OrderBy(entry => entry.Path, StringComparer.Ordinal))
        {
            present.TryGetValue(entry.Path, out var have);
            if (entry.IsDir)
            {
                if (have is null)
                    mkdirs.Add(entry.Path);
                if (entry.Mode is { } mode && have?.Mode != mode)
                    modes.Add(new ModeChange(entry.Path, mode));
            }
            else if (entry.IsSymlink)
            {
                if (have is not null && have.Target == entry.Target && (entry.Mtime is not { } mtime || have.Mtime == mtime))
                    kept++;
                else
                    symlinks.Add(entry);
            }
            else if (have is not null && have.Size == entry.Size && entry.Mtime is { } mtime && have.Mtime == mtime)
            {
                if (entry.Mode is { } mode && have.Mode != mode)
                    modes.Add(new ModeChange(entry.Path, mode));
                else
                    kept++;
            }
            else
            {
                downloads.Add(entry);
            }
        }
        return new ReconcilePlan(tempFiles, deletes, mkdirs, downloads, kept, refused) { Symlinks = symlinks, ModeChanges = modes };
    }

    private static LocalKind KindOf(SnapshotEntry entry) =>
        entry.IsDir ? LocalKind.Directory : entry.IsSymlink ? LocalKind.Link : LocalKind.File;

    private static bool IsUnderAny(string path, HashSet<string> dirs)
    {
        if (dirs.Count == 0)
            return false;
        for (var parent = PathRules.Parent(path); parent is not null; parent = PathRules.Parent(parent))
        {
            if (dirs.Contains(parent))
                return true;
        }
        return false;
    }
}

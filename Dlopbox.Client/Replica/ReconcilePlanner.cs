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
}

/// <summary>
/// Compares a snapshot with a metadata listing of the replica. A local file with the snapshot's size and
/// mtime is kept as it is: an already-correct replica costs a directory walk, not a download.
/// </summary>
internal static class ReconcilePlanner
{
    public static ReconcilePlan Plan(IEnumerable<SnapshotEntry> snapshot, IEnumerable<LocalEntry> local)
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
            if (entry.Kind == LocalKind.File && ReplicaDirectory.IsTempName(Path.GetFileName(entry.Path)))
            {
                tempFiles.Add(entry);
                continue;
            }
            var keep = wanted.TryGetValue(entry.Path, out var want) && (want.IsDir
                ? entry.Kind == LocalKind.Directory
                : entry.Kind == LocalKind.File);
            if (keep)
            {
                present[entry.Path] = entry;
                continue;
            }
            deletes.Add(entry);
            if (entry.Kind == LocalKind.Directory)
                deletedDirs.Add(entry.Path);
        }

        var mkdirs = new List<string>();
        var downloads = new List<SnapshotEntry>();
        var kept = 0;
        foreach (var entry in wanted.Values.OrderBy(entry => entry.Path, StringComparer.Ordinal))
        {
            present.TryGetValue(entry.Path, out var have);
            if (entry.IsDir)
            {
                if (have is null)
                    mkdirs.Add(entry.Path);
            }
            else if (have is not null && have.Size == entry.Size && entry.Mtime is { } mtime && have.Mtime == mtime)
            {
                kept++;
            }
            else
            {
                downloads.Add(entry);
            }
        }
        return new ReconcilePlan(tempFiles, deletes, mkdirs, downloads, kept, refused);
    }

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

using System.Security.Cryptography;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;

namespace Dlopbox.Embedded;

/// <summary>
/// Whole-tree comparison of a master and a replica: every name and kind, every empty dir, every file's
/// bytes, every symlink's target string, the permission bits of files and dirs, and the mtimes (to the
/// nanosecond) of files and symlinks. Dir mtimes are not compared: they change with every entry made in
/// them, and dlopbox does not mirror them.
/// </summary>
public static class TreeComparison
{
    public sealed record Node(EntryKind Kind, long Size, string? Sha256, string? Target = null, int? Mode = null, FileTime? Mtime = null)
    {
        public bool IsDir => Kind == EntryKind.Directory;
    }

    /// <summary>What the comparison looks at besides names, kinds, sizes and content.</summary>
    [Flags]
    public enum Aspects
    {
        None = 0,
        Modes = 1,
        Mtimes = 2,
        All = Modes | Mtimes,
    }

    /// <summary>
    /// The tree under <paramref name="root"/>, symlinks as links (never followed). With <paramref name="asMaster"/>,
    /// what dlopbox never syncs is left out (FIFOs, sockets, devices, reserved <c>.dlopbox*</c> names); a replica
    /// is read as it is, so a leftover temp file there is a difference.
    /// </summary>
    public static SortedDictionary<string, Node> Read(string root, bool asMaster = false, bool hashContent = true,
        bool includeSymlinks = true)
    {
        var tree = new SortedDictionary<string, Node>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
            return tree;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            var relative = Path.GetRelativePath(root, info.FullName);
            if (asMaster && PathRules.IsReserved(relative))
                continue;
            if (!FileStatus.TryLstat(info.FullName, out var status))
                continue; // gone since it was listed
            if (asMaster && (status.Kind == EntryKind.Other || (status.Kind == EntryKind.Symlink && !includeSymlinks)))
                continue;
            try
            {
                tree[relative] = status.Kind switch
                {
                    EntryKind.Directory => new Node(EntryKind.Directory, 0, null, Mode: status.Permissions),
                    EntryKind.Symlink => new Node(EntryKind.Symlink, 0, null, Target: info.LinkTarget, Mtime: status.Mtime),
                    EntryKind.File => new Node(EntryKind.File, status.Size, hashContent ? Hash(info.FullName) : null,
                        Mode: status.Permissions, Mtime: status.Mtime),
                    _ => new Node(EntryKind.Other, 0, null),
                };
            }
            catch (IOException)
            {
                // Vanished or replaced while we looked: the tree is still changing.
                tree[relative] = new Node(EntryKind.File, -1, "changing");
            }
        }
        return tree;
    }

    /// <summary>
    /// Every difference between the two trees, as one readable line each; empty when equal. Without
    /// <paramref name="compareContent"/> only names, kinds, sizes and targets count (and the <paramref name="aspects"/>):
    /// a cheap check to poll before the real one.
    /// </summary>
    public static List<string> Diff(string master, string replica, bool compareContent = true, Aspects aspects = Aspects.All,
        bool includeSymlinks = true)
    {
        var expected = Read(master, asMaster: true, compareContent, includeSymlinks);
        var actual = Read(replica, asMaster: false, compareContent);
        var differences = new List<string>();
        foreach (var (path, node) in expected)
        {
            if (!actual.TryGetValue(path, out var other))
                differences.Add($"missing in replica: {path}{(node.IsDir ? "/" : "")}");
            else if (Project(other, aspects) != Project(node, aspects))
                differences.Add($"differs: {path} (master {Describe(node)}, replica {Describe(other)})");
        }
        foreach (var path in actual.Keys.Where(p => !expected.ContainsKey(p)))
            differences.Add($"extra in replica: {path}");
        return differences;
    }

    private static Node Project(Node node, Aspects aspects) => node with
    {
        Mode = aspects.HasFlag(Aspects.Modes) ? node.Mode : null,
        Mtime = aspects.HasFlag(Aspects.Mtimes) ? node.Mtime : null,
    };

    private static string Describe(Node node)
    {
        var mode = node.Mode is { } bits ? $" mode {Convert.ToString(bits, 8)}" : "";
        var mtime = node.Mtime is { } time ? $" mtime {time}" : "";
        return node.Kind switch
        {
            EntryKind.Directory => $"dir{mode}",
            EntryKind.Symlink => $"symlink -> '{node.Target}'{mtime}",
            EntryKind.File => $"{node.Size} bytes {node.Sha256?[..Math.Min(8, node.Sha256.Length)]}{mode}{mtime}",
            _ => "special file",
        };
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

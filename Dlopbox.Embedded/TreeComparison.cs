using System.Security.Cryptography;
using Dlopbox.Contracts;

namespace Dlopbox.Embedded;

/// <summary>Whole-tree comparison of a master and a replica: every name, every empty dir, every file's bytes.</summary>
public static class TreeComparison
{
    public sealed record Node(bool IsDir, long Size, string? Sha256);

    /// <summary>
    /// The tree under <paramref name="root"/>. With <paramref name="asMaster"/>, what dlopbox never syncs is
    /// left out (symlinks, reserved <c>.dlopbox*</c> names); a replica is read as it is, so a leftover temp
    /// file there is a difference.
    /// </summary>
    public static SortedDictionary<string, Node> Read(string root, bool asMaster = false, bool hashContent = true)
    {
        var tree = new SortedDictionary<string, Node>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
            return tree;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            var relative = Path.GetRelativePath(root, info.FullName);
            if (asMaster && (info.LinkTarget is not null || PathRules.IsReserved(relative)))
                continue;
            try
            {
                tree[relative] = info is DirectoryInfo
                    ? new Node(true, 0, null)
                    : new Node(false, ((FileInfo)info).Length, hashContent ? Hash(info.FullName) : null);
            }
            catch (IOException)
            {
                // Vanished or replaced while we looked: the tree is still changing.
                tree[relative] = new Node(false, -1, "changing");
            }
        }
        return tree;
    }

    /// <summary>
    /// Every difference between the two trees, as one readable line each; empty when equal. Without
    /// <paramref name="compareContent"/> only names, kinds and sizes count: a cheap check to poll before the real one.
    /// </summary>
    public static List<string> Diff(string master, string replica, bool compareContent = true)
    {
        var expected = Read(master, asMaster: true, compareContent);
        var actual = Read(replica, asMaster: false, compareContent);
        var differences = new List<string>();
        foreach (var (path, node) in expected)
        {
            if (!actual.TryGetValue(path, out var other))
                differences.Add($"missing in replica: {path}{(node.IsDir ? "/" : "")}");
            else if (other != node)
                differences.Add($"differs: {path} (master {Describe(node)}, replica {Describe(other)})");
        }
        foreach (var path in actual.Keys.Where(p => !expected.ContainsKey(p)))
            differences.Add($"extra in replica: {path}");
        return differences;
    }

    private static string Describe(Node node) => node.IsDir ? "dir" : $"{node.Size} bytes {node.Sha256?[..Math.Min(8, node.Sha256.Length)]}";

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

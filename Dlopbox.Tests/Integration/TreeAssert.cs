using System.Diagnostics;
using System.Security.Cryptography;

namespace Dlopbox.Tests.Integration;

/// <summary>Whole-tree comparison: every name, every empty dir, every file's bytes.</summary>
public static class TreeAssert
{
    public sealed record Node(bool IsDir, long Size, string? Sha256);

    /// <summary>
    /// The tree under <paramref name="root"/>. With <paramref name="asMaster"/>, what dlopbox never syncs is
    /// left out (symlinks, reserved <c>.dlopbox*</c> names); a replica is read as it is, so a leftover temp
    /// file there is a difference.
    /// </summary>
    public static SortedDictionary<string, Node> Read(string root, bool asMaster = false)
    {
        var tree = new SortedDictionary<string, Node>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
            return tree;
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = 0,
            IgnoreInaccessible = false,
        }))
        {
            var relative = Path.GetRelativePath(root, info.FullName);
            if (asMaster && (info.LinkTarget is not null || Dlopbox.Contracts.PathRules.IsReserved(relative)))
                continue;
            try
            {
                tree[relative] = info is DirectoryInfo
                    ? new Node(true, 0, null)
                    : new Node(false, ((FileInfo)info).Length, Hash(info.FullName));
            }
            catch (IOException)
            {
                // Vanished or replaced while we looked: the tree is still changing.
                tree[relative] = new Node(false, -1, "changing");
            }
        }
        return tree;
    }

    public static List<string> Diff(string master, string replica)
    {
        var expected = Read(master, asMaster: true);
        var actual = Read(replica);
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

    /// <summary>Polls until the trees are equal; never sleeps for a fixed time to assert.</summary>
    public static async Task ConvergesAsync(string master, string replica, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        List<string> differences;
        while (true)
        {
            differences = Diff(master, replica);
            if (differences.Count == 0)
                return;
            if (clock.Elapsed > timeout)
                break;
            await Task.Delay(50);
        }
        Assert.Fail($"The replica did not converge within {timeout.TotalSeconds:0} s; {differences.Count} differences:\n"
            + string.Join('\n', differences.Take(30)));
    }

    private static string Describe(Node node) => node.IsDir ? "dir" : $"{node.Size} bytes {node.Sha256?[..Math.Min(8, node.Sha256.Length)]}";

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

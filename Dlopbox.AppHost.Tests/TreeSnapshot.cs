using System.Security.Cryptography;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// A directory tree as names, types and content hashes, for comparing a replica with the master.
/// (A small copy of the idea in Dlopbox.Tests, which this project may not reference.)
/// </summary>
public static class TreeSnapshot
{
    /// <summary>Relative path (with '/') to "dir", "link -> target" or "file sha256".</summary>
    public static SortedDictionary<string, string> Take(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var path = Path.GetRelativePath(root, info.FullName).Replace('\\', '/');
            entries[path] = info switch
            {
                _ when info.LinkTarget is { } target => "link -> " + target,
                DirectoryInfo => "dir",
                FileInfo file => "file " + Hash(file),
                _ => "other",
            };
        }
        return entries;
    }

    /// <summary>The differences of <paramref name="actual"/> from <paramref name="expected"/>, one a line; empty when equal.</summary>
    public static List<string> Diff(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual) =>
        [
            .. expected.Where(e => !actual.ContainsKey(e.Key)).Select(e => $"missing {e.Key} ({e.Value})"),
            .. actual.Where(a => !expected.ContainsKey(a.Key)).Select(a => $"extra {a.Key} ({a.Value})"),
            .. expected.Where(e => actual.TryGetValue(e.Key, out var a) && a != e.Value).Select(e => $"differs {e.Key}: {actual[e.Key]}, not {e.Value}"),
        ];

    private static string Hash(FileInfo file)
    {
        try
        {
            using var stream = file.OpenRead();
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (IOException)
        {
            // Being written or replaced right now: differs for this round, the next one sees it settled.
            return "unreadable";
        }
    }
}

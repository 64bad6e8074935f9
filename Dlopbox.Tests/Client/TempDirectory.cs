namespace Dlopbox.Tests.Client;

/// <summary>A scratch dir holding a replica dir and room around it, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "dlopbox-client-tests-" + Guid.NewGuid().ToString("N"));
        Replica = Path.Combine(Root, "replica");
        State = Path.Combine(Root, "state");
        Directory.CreateDirectory(Replica);
    }

    public string Root { get; }

    public string Replica { get; }

    public string State { get; }

    public string InReplica(string relative) => Path.Combine(Replica, relative);

    public string WriteFile(string relative, string content, DateTime? mtimeUtc = null)
    {
        var full = InReplica(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        if (mtimeUtc is { } mtime)
            File.SetLastWriteTimeUtc(full, mtime);
        return full;
    }

    /// <summary>Every path under the scratch root (replica and its surroundings), for "nothing changed" checks.</summary>
    public string[] Listing() =>
        Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Root, path))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

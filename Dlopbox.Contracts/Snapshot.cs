namespace Dlopbox.Contracts;

/// <summary>
/// The master tree as of stream offset <see cref="Offset"/>: applying these entries and then every
/// stream message after <see cref="Offset"/> reproduces the master. <see cref="Offset"/> is -1 when the
/// stream is empty. <see cref="Epoch"/> is the stream's identity (<see cref="ChangeRecord.Epoch"/>) the offset belongs to.
/// </summary>
public sealed record Snapshot(long Offset, IReadOnlyList<SnapshotEntry> Entries, string? Epoch = null);

/// <summary>
/// One file, directory or symlink of a <see cref="Snapshot"/>. Directories have no size, mtime or hash; a
/// symlink is the entry with a <see cref="Target"/> (and an mtime, no size nor hash).
/// </summary>
public sealed record SnapshotEntry
{
    public required string Path { get; init; }

    public bool IsDir { get; init; }

    public long Size { get; init; }

    public FileTime? Mtime { get; init; }

    public string? Sha256 { get; init; }

    /// <summary>Permission bits (0 to 0o777) when the watcher said; see <see cref="FileChange.Mode"/>.</summary>
    public int? Mode { get; init; }

    /// <summary>The symlink's target string; null for files and directories.</summary>
    public string? Target { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSymlink => Target is not null;

    /// <summary>Stream offset of the last change to this entry.</summary>
    public long Offset { get; init; }
}

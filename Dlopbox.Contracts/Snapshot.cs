namespace Dlopbox.Contracts;

/// <summary>
/// The master tree as of stream offset <see cref="Offset"/>: applying these entries and then every
/// stream message after <see cref="Offset"/> reproduces the master. <see cref="Offset"/> is -1 when the
/// stream is empty.
/// </summary>
public sealed record Snapshot(long Offset, IReadOnlyList<SnapshotEntry> Entries);

/// <summary>One file or directory of a <see cref="Snapshot"/>. Directories have no size, mtime or hash.</summary>
public sealed record SnapshotEntry
{
    public required string Path { get; init; }

    public bool IsDir { get; init; }

    public long Size { get; init; }

    public DateTimeOffset? Mtime { get; init; }

    public string? Sha256 { get; init; }

    /// <summary>Stream offset of the last change to this entry.</summary>
    public long Offset { get; init; }
}

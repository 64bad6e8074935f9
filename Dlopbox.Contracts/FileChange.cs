using System.Text.Json.Serialization;

namespace Dlopbox.Contracts;

/// <summary>What happened to a path in the master tree.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChangeKind>))]
public enum ChangeKind
{
    /// <summary>A file was created or its content replaced; carries size, mtime and hash.</summary>
    [JsonStringEnumMemberName("write")] Write,

    /// <summary>A directory exists (possibly empty).</summary>
    [JsonStringEnumMemberName("mkdir")] Mkdir,

    /// <summary>A file or a whole directory is gone.</summary>
    [JsonStringEnumMemberName("delete")] Delete,

    /// <summary>A file, symlink or whole directory was renamed from <see cref="FileChange.OldPath"/>.</summary>
    [JsonStringEnumMemberName("move")] Move,

    /// <summary>A symbolic link was created or replaced; carries its <see cref="FileChange.Target"/> and mtime. Never followed.</summary>
    [JsonStringEnumMemberName("symlink")] Symlink,

    /// <summary>Only the permission bits or the mtime of a file or directory changed (chmod, touch): no content to fetch.</summary>
    [JsonStringEnumMemberName("attrib")] Attrib,
}

/// <summary>
/// One change of the master tree, as the watcher saw it. Paths are relative to the master dir,
/// '/'-separated and normalized (see <see cref="PathRules"/>).
/// </summary>
public sealed record FileChange
{
    public required ChangeKind Kind { get; init; }

    public required string Path { get; init; }

    /// <summary>Source path of a <see cref="ChangeKind.Move"/>; null otherwise.</summary>
    public string? OldPath { get; init; }

    /// <summary>True when the path is (or was) a directory.</summary>
    public bool IsDir { get; init; }

    /// <summary>File size in bytes (writes, and moves of files so a replica missing the source can download it).</summary>
    public long? Size { get; init; }

    /// <summary>Last write time of the file or symlink, to the nanosecond the master's file system keeps.</summary>
    public FileTime? Mtime { get; init; }

    /// <summary>
    /// Permission bits (<c>rwxrwxrwx</c>, 0 to 511 = 0o777) of a write, a mkdir, an attrib and a file move;
    /// setuid, setgid and sticky are never carried. Null: the sender did not say (the replica keeps its own).
    /// </summary>
    public int? Mode { get; init; }

    /// <summary>
    /// Target string of a symlink, exactly as <c>readlink</c> gives it (relative, absolute or dangling): on a
    /// <see cref="ChangeKind.Symlink"/>, and on a move of a symlink. Null for everything else.
    /// </summary>
    public string? Target { get; init; }

    /// <summary>Lower-case hex SHA-256 of the bytes the watcher read.</summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// W3C <c>traceparent</c> of the watcher's span for this change, when tracing is on. A batch is one HTTP
    /// request with one trace context, so each change carries its own to keep one trace per change. Only
    /// the watcher → Interface hop carries it: the stream carries the context in the AMQP headers instead.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>Permission bits a mode may carry on the wire (no setuid, setgid nor sticky).</summary>
    public const int PermissionBits = 0x1FF;

    public static FileChange Write(string path, long size, FileTime mtime, string sha256, int? mode = null) =>
        new() { Kind = ChangeKind.Write, Path = path, Size = size, Mtime = mtime, Sha256 = sha256, Mode = mode };

    public static FileChange Mkdir(string path, int? mode = null) => new() { Kind = ChangeKind.Mkdir, Path = path, IsDir = true, Mode = mode };

    public static FileChange Symlink(string path, string target, FileTime mtime) =>
        new() { Kind = ChangeKind.Symlink, Path = path, Target = target, Mtime = mtime };

    public static FileChange Attrib(string path, bool isDir, int mode, FileTime? mtime) =>
        new() { Kind = ChangeKind.Attrib, Path = path, IsDir = isDir, Mode = mode, Mtime = mtime };

    public static FileChange Delete(string path, bool isDir) => new() { Kind = ChangeKind.Delete, Path = path, IsDir = isDir };

    public static FileChange MoveDir(string oldPath, string path) =>
        new() { Kind = ChangeKind.Move, OldPath = oldPath, Path = path, IsDir = true };

    public static FileChange MoveFile(string oldPath, string path, long size, FileTime mtime, string sha256, int? mode = null) =>
        new() { Kind = ChangeKind.Move, OldPath = oldPath, Path = path, Size = size, Mtime = mtime, Sha256 = sha256, Mode = mode };

    public static FileChange MoveSymlink(string oldPath, string path, string target, FileTime mtime) =>
        new() { Kind = ChangeKind.Move, OldPath = oldPath, Path = path, Target = target, Mtime = mtime };
}

/// <summary>Body of <c>POST /events</c>: the changes one watcher sends at once, in the order they happened.</summary>
public sealed record EventBatch
{
    /// <summary>Host name (or configured name) of the watcher that saw the changes.</summary>
    public required string Source { get; init; }

    public required IReadOnlyList<FileChange> Events { get; init; }
}

/// <summary>
/// Answer of <c>POST /events</c> once the broker confirmed every event of the batch (an empty batch asks only
/// for the epoch). <see cref="Epoch"/> is the stream's identity the events were appended to (see
/// <see cref="ChangeRecord.Epoch"/>): a watcher that sees it change knows that what it sent before is gone.
/// </summary>
public sealed record EventBatchAccepted(int Accepted, string? Epoch = null);

/// <summary>Body of one message of the event stream. The message's stream offset is its sequence number.</summary>
public sealed record ChangeRecord
{
    public required FileChange Change { get; init; }

    public required string Source { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>
    /// The stream's identity, the same on every record of one stream: the Interface makes a new one when it
    /// finds the stream empty (first start, or a broker that lost its data), so an offset is only meaningful
    /// with its epoch. Null on records written before epochs existed; such a stream's epoch is null.
    /// </summary>
    public string? Epoch { get; init; }
}

using System.Text;
using Dlopbox.Client;
using Dlopbox.Client.Replica;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Client;

/// <summary>
/// Forged events (no watcher could send them) that try to reach outside the replica through a link the
/// stream itself planted, or one planted while a download was in flight: nothing outside changes.
/// </summary>
public sealed class ReplicaSafetyTests : IDisposable
{
    private static readonly FileTime Mtime = new(1_735_787_045, 123_456_789);
    private const string CrossesALink = "crosses a symbolic link in the replica";

    private readonly TempDirectory _dir = new();
    private readonly InMemoryMasterFiles _master = new();
    private readonly AppliedOffsetTracker _offsets = new();
    private readonly RecordingLogger<ReplicaApplier> _log = new();
    private readonly ReplicaDirectory _replica;
    private readonly ReplicaApplier _applier;
    private readonly string _outside;
    private long _nextOffset;

    public ReplicaSafetyTests()
    {
        _replica = new ReplicaDirectory(_dir.Replica, TestTelemetry.OwnWrites());
        var options = Options.Create(new ClientOptions { ReplicaDir = _dir.Replica, StateDir = _dir.State, MaxParallelDownloads = 4 });
        _applier = new ReplicaApplier(_replica, new FileDownloader(_master, _replica, NullLogger<FileDownloader>.Instance, TestTelemetry.Client()), _offsets, new UnresolvedFiles(), options, _log, TestTelemetry.Client(), TestTelemetry.Progress(), TimeProvider.System);
        _outside = Path.Combine(_dir.Root, "outside");
        Directory.CreateDirectory(Path.Combine(_outside, "keep"));
        File.WriteAllText(Path.Combine(_outside, "passwd"), "root:x:0:0");
        File.WriteAllText(Path.Combine(_outside, "y"), "delete me not");
        File.WriteAllText(Path.Combine(_outside, "f"), "chmod me not");
        using (var handle = DirectoryHandle.Open(_outside))
            handle.SetPermissions("f", 0x180);
    }

    public void Dispose()
    {
        _applier.Dispose();
        _replica.Dispose();
        _dir.Dispose();
    }

    private async Task Apply(FileChange change)
    {
        await _applier.ApplyAsync(_nextOffset++, change, CancellationToken.None);
        await _applier.DrainAsync(CancellationToken.None);
    }

    private FileChange MasterWrite(string path, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        _master.Put(path, bytes);
        return FileChange.Write(path, bytes.Length, Mtime, InMemoryMasterFiles.Sha256(bytes));
    }

    /// <summary>Every entry outside the replica with its kind, size, mode, mtime and bytes.</summary>
    private string[] OutsideState() =>
        Directory.EnumerateFileSystemEntries(_outside, "*", SearchOption.AllDirectories)
            .Append(_outside)
            .Select(path => FileStatus.TryLstat(path, out var s)
                ? $"{path} {s.Kind} {s.Size} {s.Permissions} {s.Mtime} {(s.Kind == EntryKind.File ? File.ReadAllText(path) : "")}"
                : path)
            .Order(StringComparer.Ordinal)
            .ToArray();

    private int Refusals() => _log.Entries.Count(entry => entry.Message.Contains(CrossesALink, StringComparison.Ordinal));

    [Fact]
    public async Task Events_through_a_link_the_stream_planted_change_nothing_outside_and_are_each_refused()
    {
        _dir.WriteFile("x", "mine");
        var before = OutsideState();

        await Apply(FileChange.Symlink("d", _outside, Mtime));
        Assert.Equal(_outside, new FileInfo(_dir.InReplica("d")).LinkTarget);
        await Apply(MasterWrite("d/passwd", "owned"));
        await Apply(FileChange.Mkdir("d/sub"));
        await Apply(FileChange.MoveFile("x", "d/x", 4, Mtime, new string('0', 64)));
        await Apply(FileChange.Delete("d/y", isDir: false));
        await Apply(FileChange.Symlink("d/l", "/etc", Mtime));
        await Apply(FileChange.Attrib("d/f", isDir: false, 0x1FF, Mtime));

        Assert.Equal(before, OutsideState());
        Assert.Equal(6, Refusals());
        Assert.Empty(_master.Opened);
        Assert.Equal("mine", File.ReadAllText(_dir.InReplica("x")));
        // Refused events count as handled: the stream goes on.
        Assert.Equal(6, _offsets.Watermark);
    }

    [Fact]
    public async Task A_link_planted_while_a_download_is_in_flight_is_refused_at_the_rename()
    {
        Directory.CreateDirectory(_dir.InReplica("d"));
        var before = OutsideState();
        _master.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await _applier.ApplyAsync(0, MasterWrite("d/passwd", "owned"), CancellationToken.None);
        // The event passed its check; now someone swaps the dir for a link to outside.
        Directory.Delete(_dir.InReplica("d"));
        File.CreateSymbolicLink(_dir.InReplica("d"), _outside);
        _master.Gate.SetResult();
        await _applier.DrainAsync(CancellationToken.None);

        Assert.Equal(before, OutsideState());
        Assert.Equal(1, Refusals());
        Assert.Equal(0, _offsets.Watermark);
    }

    [Fact]
    public void Every_operation_refuses_a_path_through_a_link()
    {
        File.CreateSymbolicLink(_dir.InReplica("d"), _outside);
        _dir.WriteFile("x", "mine");
        var before = OutsideState();

        Assert.Throws<UnsafePathException>(() => _replica.EnsureDirectory("d/sub"));
        Assert.Throws<UnsafePathException>(() => _replica.Delete("d/y"));
        Assert.Throws<UnsafePathException>(() => _replica.DeleteScanned("d/y"));
        Assert.Throws<UnsafePathException>(() => _replica.Move("x", "d/x"));
        Assert.Throws<UnsafePathException>(() => _replica.Move("d/y", "z"));
        Assert.Throws<UnsafePathException>(() => _replica.SetSymlink("d/l", "/etc", Mtime));
        Assert.Throws<UnsafePathException>(() => _replica.SetAttributes("d/f", 0x1FF, Mtime));
        Assert.Throws<UnsafePathException>(() => _replica.OpenForWrite("d/passwd"));

        Assert.Equal(before, OutsideState());
        Assert.True(File.Exists(_dir.InReplica("x")));
    }

    [Fact]
    public async Task A_master_link_pointing_outside_the_master_is_copied_as_a_link_and_never_followed()
    {
        var before = OutsideState();

        await Apply(FileChange.Symlink("escape", "../../outside", Mtime));
        await Apply(FileChange.Symlink("absolute", _outside + "/passwd", Mtime));
        // Deleting or chmodding the link's name acts on the link, not on what it points to.
        await Apply(FileChange.Attrib("absolute", isDir: false, 0x1FF, Mtime));
        await Apply(FileChange.Delete("escape", isDir: true));

        Assert.Equal(_outside + "/passwd", new FileInfo(_dir.InReplica("absolute")).LinkTarget);
        Assert.Equal(Mtime, DiskTime.Mtime(_dir.InReplica("absolute")));
        Assert.False(Path.Exists(_dir.InReplica("escape")));
        Assert.Equal(before, OutsideState());
        Assert.Empty(_master.Opened);
    }

    [Fact]
    public async Task Deleting_a_dir_with_a_link_inside_unlinks_the_link_only()
    {
        _dir.WriteFile("d/own", "x");
        File.CreateSymbolicLink(_dir.InReplica("d/out"), _outside);
        var before = OutsideState();

        await Apply(FileChange.Delete("d", isDir: true));

        Assert.False(Path.Exists(_dir.InReplica("d")));
        Assert.Equal(before, OutsideState());
    }
}

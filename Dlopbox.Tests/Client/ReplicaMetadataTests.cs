using System.Text;
using Dlopbox.Client;
using Dlopbox.Client.Replica;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Client;

/// <summary>Symlinks, attribs, modes and nanosecond mtimes, applied from the stream.</summary>
public sealed class ReplicaMetadataTests : IDisposable
{
    private static readonly FileTime Mtime = new(1_735_787_045, 123_456_789);
    private static readonly FileTime Later = new(1_735_787_999, 987_654_321);

    private readonly TempDirectory _dir = new();
    private readonly InMemoryMasterFiles _master = new();
    private readonly AppliedOffsetTracker _offsets = new();
    private readonly ReplicaDirectory _replica;
    private readonly ReplicaApplier _applier;
    private long _nextOffset;

    public ReplicaMetadataTests()
    {
        _replica = new ReplicaDirectory(_dir.Replica, TestTelemetry.OwnWrites());
        var options = Options.Create(new ClientOptions { ReplicaDir = _dir.Replica, StateDir = _dir.State, MaxParallelDownloads = 4 });
        _applier = new ReplicaApplier(_replica, new FileDownloader(_master, _replica, NullLogger<FileDownloader>.Instance, TestTelemetry.Client()), _offsets, new UnresolvedFiles(), options,
            NullLogger<ReplicaApplier>.Instance, TestTelemetry.Client(), TestTelemetry.Progress(), TimeProvider.System);
    }

    public void Dispose()
    {
        _applier.Dispose();
        _replica.Dispose();
        _dir.Dispose();
    }

    private static int Octal(string digits) => Convert.ToInt32(digits, 8);

    private async Task Apply(FileChange change)
    {
        Assert.Equal(ApplyOutcome.Dispatched, await _applier.ApplyAsync(_nextOffset++, change, CancellationToken.None));
        await _applier.DrainAsync(CancellationToken.None);
    }

    private FileChange MasterWrite(string path, string content, int? mode = null)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        _master.Put(path, bytes);
        return FileChange.Write(path, bytes.Length, Mtime, InMemoryMasterFiles.Sha256(bytes), mode);
    }

    private FileStatus Lstat(string path) =>
        FileStatus.TryLstat(_dir.InReplica(path), out var status) ? status : throw new FileNotFoundException(path);

    [Fact]
    public async Task A_symlink_gets_its_target_string_and_mtime_and_a_replay_changes_nothing()
    {
        await Apply(FileChange.Symlink("a/link", "../some where/else", Mtime));
        var first = Lstat("a/link");
        await Apply(FileChange.Symlink("a/link", "../some where/else", Mtime));

        Assert.Equal(EntryKind.Symlink, first.Kind);
        Assert.Equal("../some where/else", new FileInfo(_dir.InReplica("a/link")).LinkTarget);
        Assert.Equal(Mtime, first.Mtime);
        Assert.Equal(first.Inode, Lstat("a/link").Inode);
        Assert.Equal(1, _offsets.Watermark);
        Assert.Equal(["link"], Directory.GetFileSystemEntries(_dir.InReplica("a")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_symlink_replaces_a_file_a_link_and_a_dir()
    {
        _dir.WriteFile("file", "x");
        _dir.WriteFile("dir/inner", "y");
        File.CreateSymbolicLink(_dir.InReplica("link"), "old");

        await Apply(FileChange.Symlink("file", "t1", Mtime));
        await Apply(FileChange.Symlink("dir", "t2", Mtime));
        await Apply(FileChange.Symlink("link", "t3", Later));

        Assert.Equal("t1", new FileInfo(_dir.InReplica("file")).LinkTarget);
        Assert.Equal("t2", new FileInfo(_dir.InReplica("dir")).LinkTarget);
        Assert.Equal("t3", new FileInfo(_dir.InReplica("link")).LinkTarget);
        Assert.Equal(Later, Lstat("link").Mtime);
    }

    [Fact]
    public async Task Attrib_chmods_files_and_dirs_sets_a_files_mtime_and_skips_what_is_missing_or_a_link()
    {
        _dir.WriteFile("d/f", "x");
        File.CreateSymbolicLink(_dir.InReplica("l"), _dir.InReplica("d/f"));

        await Apply(FileChange.Attrib("d", isDir: true, Octal("750"), null));
        await Apply(FileChange.Attrib("d/f", isDir: false, Octal("640"), Later));
        await Apply(FileChange.Attrib("missing", isDir: false, Octal("600"), Later));
        await Apply(FileChange.Attrib("l", isDir: false, Octal("777"), Later));

        Assert.Equal(Octal("750"), Lstat("d").Permissions);
        // The attrib of the link "l" did not reach the file it points to.
        Assert.Equal(Octal("640"), Lstat("d/f").Permissions);
        Assert.Equal(Later, Lstat("d/f").Mtime);
        Assert.False(Path.Exists(_dir.InReplica("missing")));
        Assert.NotEqual(Later, Lstat("l").Mtime);
        Assert.Equal(3, _offsets.Watermark);
    }

    [Fact]
    public async Task A_write_brings_the_mode_and_a_mode_only_change_is_a_chmod_without_download()
    {
        await Apply(MasterWrite("run.sh", "#!/bin/sh", Octal("750")));
        Assert.Equal(Octal("750"), Lstat("run.sh").Permissions);
        Assert.Equal(Mtime, Lstat("run.sh").Mtime);

        await Apply(MasterWrite("run.sh", "#!/bin/sh", Octal("700")));

        Assert.Equal(Octal("700"), Lstat("run.sh").Permissions);
        Assert.Single(_master.Opened);
    }

    [Fact]
    public async Task A_write_without_a_mode_gets_the_umask_default()
    {
        await Apply(MasterWrite("plain", "x"));

        Assert.Equal(FileModes.DefaultFileMode, Lstat("plain").Permissions);
    }

    [Fact]
    public async Task Mkdir_with_a_mode_creates_or_chmods_the_dir_exactly()
    {
        Directory.CreateDirectory(_dir.InReplica("existing"));

        await Apply(FileChange.Mkdir("new/deep", Octal("701")));
        await Apply(FileChange.Mkdir("existing", Octal("711")));

        Assert.Equal(Octal("701"), Lstat("new/deep").Permissions);
        Assert.Equal(Octal("711"), Lstat("existing").Permissions);
    }

    [Fact]
    public async Task A_symlink_move_renames_the_link_or_makes_it_when_the_source_is_missing()
    {
        await Apply(FileChange.Symlink("from", "target", Mtime));
        var inode = Lstat("from").Inode;

        await Apply(FileChange.MoveSymlink("from", "sub/to", "target", Mtime));
        await Apply(FileChange.MoveSymlink("never-had", "made", "elsewhere", Later));

        Assert.False(Path.Exists(_dir.InReplica("from")));
        Assert.Equal(inode, Lstat("sub/to").Inode);
        Assert.Equal("elsewhere", new FileInfo(_dir.InReplica("made")).LinkTarget);
        Assert.Equal(Later, Lstat("made").Mtime);
        Assert.Empty(_master.Opened);
        Assert.Equal(2, _offsets.Watermark);
    }

    [Fact]
    public async Task A_file_move_carries_its_mode()
    {
        var write = MasterWrite("a", "content", Octal("600"));
        await Apply(write);

        await Apply(FileChange.MoveFile("a", "b", write.Size!.Value, Mtime, write.Sha256!, Octal("600")));

        Assert.Equal(Octal("600"), Lstat("b").Permissions);
    }

    [Fact]
    public async Task A_file_that_grew_since_it_was_announced_is_fetched_as_announced()
    {
        var announced = MasterWrite("daemon.log", "line 1\n");
        _master.Put("daemon.log", Encoding.UTF8.GetBytes("line 1\nline 2\n"));

        await Apply(announced);

        Assert.Equal("line 1\n", await File.ReadAllTextAsync(_dir.InReplica("daemon.log")));
    }

    [Fact]
    public async Task Malformed_symlinks_and_attribs_are_skipped()
    {
        await Apply(new FileChange { Kind = ChangeKind.Symlink, Path = "l", Mtime = Mtime });
        await Apply(new FileChange { Kind = ChangeKind.Attrib, Path = "f" });
        await Apply(new FileChange { Kind = ChangeKind.Attrib, Path = "f", Mode = 0x1000 });

        Assert.Empty(Directory.GetFileSystemEntries(_dir.Replica));
        Assert.Equal(2, _offsets.Watermark);
    }
}

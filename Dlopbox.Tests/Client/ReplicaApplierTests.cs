using System.Text;
using Dlopbox.Client;
using Dlopbox.Client.Replica;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Client;

public sealed class ReplicaApplierTests : IDisposable
{
    private static readonly DateTimeOffset Mtime = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();
    private readonly InMemoryMasterFiles _master = new();
    private readonly AppliedOffsetTracker _offsets = new();
    private readonly UnresolvedFiles _unresolved = new();
    private readonly ReplicaApplier _applier;
    private long _nextOffset;

    public ReplicaApplierTests()
    {
        var replica = new ReplicaDirectory(_dir.Replica, TestTelemetry.OwnWrites());
        var options = Options.Create(new ClientOptions { ReplicaDir = _dir.Replica, StateDir = _dir.State, MaxParallelDownloads = 4 });
        _applier = new ReplicaApplier(replica, new FileDownloader(_master, replica, NullLogger<FileDownloader>.Instance, TestTelemetry.Client()), _offsets, _unresolved, options, NullLogger<ReplicaApplier>.Instance, TestTelemetry.Client(), TestTelemetry.Progress(), TimeProvider.System);
    }

    public void Dispose()
    {
        _applier.Dispose();
        _dir.Dispose();
    }

    private async Task<ApplyOutcome> Apply(FileChange change)
    {
        var outcome = await _applier.ApplyAsync(_nextOffset++, change, CancellationToken.None);
        await _applier.DrainAsync(CancellationToken.None);
        return outcome;
    }

    private async Task ApplyTwice(FileChange change)
    {
        Assert.Equal(ApplyOutcome.Dispatched, await Apply(change));
        Assert.Equal(ApplyOutcome.Dispatched, await Apply(change));
    }

    private FileChange MasterWrite(string path, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        _master.Put(path, bytes);
        return FileChange.Write(path, bytes.Length, Mtime, InMemoryMasterFiles.Sha256(bytes));
    }

    public static TheoryData<FileChange> UnsafeEvents() =>
    [
        FileChange.Write("../x", 1, Mtime, new string('0', 64)),
        FileChange.Write("/etc/passwd", 1, Mtime, new string('0', 64)),
        FileChange.Write("a/../../x", 1, Mtime, new string('0', 64)),
        FileChange.Write(".dlopbox-tmp-planted", 1, Mtime, new string('0', 64)),
        FileChange.Mkdir("../made"),
        FileChange.Mkdir("a/.dlopbox-state"),
        FileChange.Delete("../outside.txt", isDir: false),
        FileChange.Delete("..", isDir: true),
        FileChange.Delete("/", isDir: true),
        FileChange.MoveDir("../replica-sibling", "stolen"),
        FileChange.MoveFile("inside.txt", "../outside.txt", 6, Mtime, new string('0', 64)),
    ];

    [Theory]
    [MemberData(nameof(UnsafeEvents))]
    public async Task Unsafe_paths_are_refused_without_touching_the_disk(FileChange change)
    {
        _dir.WriteFile("inside.txt", "inside");
        await File.WriteAllTextAsync(Path.Combine(_dir.Root, "outside.txt"), "outside");
        Directory.CreateDirectory(Path.Combine(_dir.Root, "replica-sibling"));
        var before = _dir.Listing();

        var outcome = await Apply(change);

        Assert.Equal(ApplyOutcome.Dispatched, outcome);
        Assert.Equal(before, _dir.Listing());
        Assert.Equal("outside", await File.ReadAllTextAsync(Path.Combine(_dir.Root, "outside.txt")));
        Assert.Empty(_master.Opened);
        // Refused events count as handled: the stream goes on.
        Assert.Equal(0, _offsets.Watermark);
    }

    [Fact]
    public async Task Downloads_failing_together_warn_once_and_say_once_that_they_work_again()
    {
        var log = new RecordingLogger<ReplicaApplier>();
        using var replica = new ReplicaDirectory(_dir.Replica, TestTelemetry.OwnWrites());
        var options = Options.Create(new ClientOptions { ReplicaDir = _dir.Replica, StateDir = _dir.State, MaxParallelDownloads = 4 });
        using var applier = new ReplicaApplier(replica, new FileDownloader(_master, replica, NullLogger<FileDownloader>.Instance, TestTelemetry.Client()), _offsets, _unresolved,
            options, log, TestTelemetry.Client(), TestTelemetry.Progress(), TimeProvider.System);
        var writes = Enumerable.Range(0, 4).Select(i => MasterWrite($"f{i}", $"content {i}")).ToArray();
        // The first try of each of the four parallel downloads fails; their retries work.
        _master.FailingOpens = writes.Length;

        for (var offset = 0; offset < writes.Length; offset++)
            await applier.ApplyAsync(offset, writes[offset], CancellationToken.None);
        await applier.DrainAsync(CancellationToken.None);

        for (var i = 0; i < writes.Length; i++)
            Assert.Equal($"content {i}", File.ReadAllText(Path.Combine(_dir.Replica, $"f{i}")));
        var warning = Assert.Single(log.Entries, e => e.Level >= LogLevel.Warning);
        Assert.StartsWith("Downloads are failing (the file server is away)", warning.Message);
        Assert.Single(log.Entries, e => e.Message.StartsWith("Downloads work again after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_path_through_a_symlink_in_the_replica_is_refused()
    {
        var outside = Path.Combine(_dir.Root, "elsewhere");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "victim"), "keep me");
        File.CreateSymbolicLink(_dir.InReplica("link"), outside);

        await Apply(FileChange.Delete("link/victim", isDir: false));
        await Apply(MasterWrite("link/new", "x"));

        Assert.True(File.Exists(Path.Combine(outside, "victim")));
        Assert.False(File.Exists(Path.Combine(outside, "new")));
    }

    [Fact]
    public async Task Mkdir_creates_parents_and_is_idempotent()
    {
        await ApplyTwice(FileChange.Mkdir("a/b/c"));

        Assert.True(Directory.Exists(_dir.InReplica("a/b/c")));
        Assert.Equal(1, _offsets.Watermark);
    }

    [Fact]
    public async Task Mkdir_replaces_a_file_in_the_way()
    {
        _dir.WriteFile("a", "file");

        await Apply(FileChange.Mkdir("a/b"));

        Assert.True(Directory.Exists(_dir.InReplica("a/b")));
    }

    [Fact]
    public async Task Delete_removes_a_file_and_is_idempotent()
    {
        _dir.WriteFile("d/f", "x");

        await ApplyTwice(FileChange.Delete("d/f", isDir: false));

        Assert.False(File.Exists(_dir.InReplica("d/f")));
        Assert.True(Directory.Exists(_dir.InReplica("d")));
    }

    [Fact]
    public async Task Delete_removes_a_dir_recursively_and_is_idempotent()
    {
        _dir.WriteFile("d/e/f", "x");
        _dir.WriteFile("d/g", "y");
        _dir.WriteFile("dx", "sibling with a common prefix");

        await ApplyTwice(FileChange.Delete("d", isDir: true));

        Assert.False(Directory.Exists(_dir.InReplica("d")));
        Assert.True(File.Exists(_dir.InReplica("dx")));
    }

    [Fact]
    public async Task Move_renames_a_file_replacing_the_destination_and_is_idempotent()
    {
        var bytes = Encoding.UTF8.GetBytes("moving");
        _dir.WriteFile("from", "moving", Mtime.UtcDateTime);
        _dir.WriteFile("to/dest", "replaced");

        await ApplyTwice(FileChange.MoveFile("from", "to/dest", bytes.Length, Mtime, InMemoryMasterFiles.Sha256(bytes)));

        Assert.False(File.Exists(_dir.InReplica("from")));
        Assert.Equal("moving", await File.ReadAllTextAsync(_dir.InReplica("to/dest")));
        // The replay found the destination current and downloaded nothing.
        Assert.Empty(_master.Opened);
        Assert.Equal(1, _offsets.Watermark);
    }

    [Fact]
    public async Task Move_renames_a_dir_with_its_content_and_is_idempotent()
    {
        _dir.WriteFile("old/a/x", "x");
        _dir.WriteFile("old/y", "y");
        _dir.WriteFile("new/stale", "replaced");

        await ApplyTwice(FileChange.MoveDir("old", "new"));

        Assert.False(Directory.Exists(_dir.InReplica("old")));
        Assert.Equal("x", await File.ReadAllTextAsync(_dir.InReplica("new/a/x")));
        Assert.Equal("y", await File.ReadAllTextAsync(_dir.InReplica("new/y")));
        Assert.False(File.Exists(_dir.InReplica("new/stale")));
        Assert.Equal(1, _offsets.Watermark);
    }

    [Fact]
    public async Task Move_of_a_missing_file_downloads_the_destination()
    {
        var write = MasterWrite("renamed", "content");

        var outcome = await Apply(FileChange.MoveFile("never-had-it", "renamed", write.Size!.Value, Mtime, write.Sha256!));

        Assert.Equal(ApplyOutcome.Dispatched, outcome);
        Assert.Equal("content", await File.ReadAllTextAsync(_dir.InReplica("renamed")));
        Assert.Equal(["renamed"], _master.Opened);
    }

    [Fact]
    public async Task Move_of_a_dir_the_replica_never_had_requires_a_resync()
    {
        var outcome = await _applier.ApplyAsync(0, FileChange.MoveDir("ghost", "elsewhere"), CancellationToken.None);

        Assert.Equal(ApplyOutcome.ResyncRequired, outcome);
        Assert.Equal(-1, _offsets.Watermark);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Replica));
    }

    [Fact]
    public async Task Write_downloads_then_skips_a_replay()
    {
        var write = MasterWrite("docs/readme.txt", "hello");

        await ApplyTwice(write);

        Assert.Equal("hello", await File.ReadAllTextAsync(_dir.InReplica("docs/readme.txt")));
        Assert.Equal(Mtime.UtcDateTime, File.GetLastWriteTimeUtc(_dir.InReplica("docs/readme.txt")));
        Assert.Single(_master.Opened);
        Assert.Equal(1, _offsets.Watermark);
    }

    [Fact]
    public async Task A_delete_waits_for_the_download_in_flight_of_the_same_path()
    {
        var write = MasterWrite("a/f", "content");
        _master.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await _applier.ApplyAsync(0, write, CancellationToken.None);
        var delete = _applier.ApplyAsync(1, FileChange.Delete("a", isDir: true), CancellationToken.None);
        await Task.Delay(100);

        Assert.False(delete.IsCompleted);
        Assert.Equal(-1, _offsets.Watermark);
        _master.Gate.SetResult();
        await delete;
        await _applier.DrainAsync(CancellationToken.None);

        Assert.False(Directory.Exists(_dir.InReplica("a")));
        Assert.Equal(1, _offsets.Watermark);
    }

    [Fact]
    public async Task Unrelated_events_do_not_wait_for_downloads_and_the_watermark_waits_for_them()
    {
        var write = MasterWrite("slow", "content");
        _master.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await _applier.ApplyAsync(0, write, CancellationToken.None);
        await _applier.ApplyAsync(1, FileChange.Mkdir("other"), CancellationToken.None);

        Assert.True(Directory.Exists(_dir.InReplica("other")));
        Assert.Equal(-1, _offsets.Watermark);
        _master.Gate.SetResult();
        await _applier.DrainAsync(CancellationToken.None);
        Assert.Equal(1, _offsets.Watermark);
    }

    [Fact]
    public async Task Stopping_abandons_downloads_leaving_their_offsets_unapplied_and_no_temp_files()
    {
        var write = MasterWrite("stuck", "content");
        _master.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _applier.ApplyAsync(0, FileChange.Mkdir("done"), CancellationToken.None);
        await _applier.ApplyAsync(1, write, CancellationToken.None);

        await _applier.DrainAsync(new CancellationToken(canceled: true), TimeSpan.FromMilliseconds(50));

        Assert.Equal(0, _offsets.Watermark);
        Assert.Equal(0, _applier.InFlightCount);
        Assert.Equal(["done"], Directory.GetFileSystemEntries(_dir.Replica).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_write_that_found_nothing_is_fetched_again_when_its_dir_is_moved()
    {
        // The master wrote docs/b.txt, then renamed docs to documents before the replica downloaded it.
        _dir.WriteFile("docs/a.txt", "a");
        var write = MasterWrite("documents/b.txt", "b");

        await Apply(write with { Path = "docs/b.txt" });
        Assert.Equal(1, _unresolved.Count);
        await Apply(FileChange.MoveDir("docs", "documents"));

        Assert.Equal("a", await File.ReadAllTextAsync(_dir.InReplica("documents/a.txt")));
        Assert.Equal("b", await File.ReadAllTextAsync(_dir.InReplica("documents/b.txt")));
        Assert.Equal(0, _unresolved.Count);
        Assert.Equal(1, _offsets.Watermark);
    }

    [Fact]
    public async Task A_write_that_found_nothing_is_forgotten_when_deleted()
    {
        await Apply(MasterWrite("present", "x") with { Path = "gone/file" });
        Assert.Equal(1, _unresolved.Count);

        await Apply(FileChange.Delete("gone", isDir: true));

        Assert.Equal(0, _unresolved.Count);
    }
}

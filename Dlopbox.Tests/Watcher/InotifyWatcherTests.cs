using Dlopbox.Contracts;

namespace Dlopbox.Tests.Watcher;

/// <summary>The watcher core against the real kernel's inotify, with a collector in place of the HTTP sender.</summary>
public sealed class InotifyWatcherTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task Writing_a_file_emits_one_write_with_size_and_hash()
    {
        await using var watcher = await WatcherHarness.StartAsync(_tree);

        var sha = _tree.Write("hello.txt", "hello");

        var changes = await watcher.SettleAsync(0);
        var write = Assert.Single(changes);
        Assert.Equal(ChangeKind.Write, write.Kind);
        Assert.Equal("hello.txt", write.Path);
        Assert.Equal(5, write.Size);
        Assert.Equal(sha, write.Sha256);
        Assert.Equal(DiskTime.Mtime(_tree.M("hello.txt")), write.Mtime);
    }

    [Fact]
    public async Task Mkdir_p_and_an_immediate_write_are_not_missed()
    {
        await using var watcher = await WatcherHarness.StartAsync(_tree);

        Directory.CreateDirectory(_tree.M("a/b/c"));
        var sha = _tree.Write("a/b/c/f", "deep");

        var changes = await watcher.Sink.WaitForAsync(c => c.Any(x => x.Path == "a/b/c/f" && x.Sha256 == sha));
        Assert.Equal(["a", "a/b", "a/b/c"], changes.Where(c => c.Kind == ChangeKind.Mkdir).Select(c => c.Path));
        Assert.Equal(sha, changes.Last(c => c.Path == "a/b/c/f").Sha256);
        // Each dir is announced before anything inside it.
        Assert.True(changes.FindIndex(c => c.Path == "a/b/c") < changes.FindIndex(c => c.Path == "a/b/c/f"));
    }

    [Fact]
    public async Task A_dir_renamed_right_after_its_creation_is_still_fully_watched()
    {
        await using var watcher = await WatcherHarness.StartAsync(_tree);

        Directory.CreateDirectory(_tree.M("a/b/c"));
        _tree.Write("a/b/c/f", "x");
        Directory.Move(_tree.M("a"), _tree.M("z"));
        for (var i = 0; i < 300; i++)
            _tree.Write(i % 2 == 0 ? $"z/file{i}" : $"z/b/c/file{i}", $"content {i}");

        // Files found by the rescan of the moved dir may be told after a sentinel written meanwhile, so wait for them by content.
        string PathOf(int i) => i % 2 == 0 ? $"z/file{i}" : $"z/b/c/file{i}";
        await watcher.Sink.WaitForAsync(c => Enumerable.Range(0, 300).All(i =>
            c.Any(x => x.Kind == ChangeKind.Write && x.Path == PathOf(i) && x.Sha256 == TempTree.Sha($"content {i}"))),
            timeout: TimeSpan.FromSeconds(30));
        var changes = await watcher.SettleAsync(0);
        Assert.True(watcher.Emitter.Told.TryGet("z/b/c/f", out _));
        for (var i = 0; i < 300; i++)
        {
            var path = i % 2 == 0 ? $"z/file{i}" : $"z/b/c/file{i}";
            Assert.True(watcher.Emitter.Told.TryGet(path, out var entry), path);
            Assert.Equal(TempTree.Sha($"content {i}"), entry.Sha256);
        }
        // Whether "a" was announced before its rename depends on timing; either way it ends up as "z" only.
        Assert.False(watcher.Emitter.Told.TryGet("a", out _));
        Assert.Empty(watcher.Emitter.Told.Subtree("a"));
        Assert.DoesNotContain(changes, c => c.Kind == ChangeKind.Delete);
    }

    [Fact]
    public async Task Renaming_a_file_is_one_move()
    {
        var sha = _tree.Write("old.txt", "content");
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        File.Move(_tree.M("old.txt"), _tree.M("new.txt"));

        var move = Assert.Single(await watcher.SettleAsync(mark));
        Assert.Equal(ChangeKind.Move, move.Kind);
        Assert.Equal("old.txt", move.OldPath);
        Assert.Equal("new.txt", move.Path);
        Assert.False(move.IsDir);
        Assert.Equal(sha, move.Sha256);
        Assert.Equal(7, move.Size);
    }

    [Fact]
    public async Task Renaming_a_dir_is_one_move_without_per_file_events()
    {
        for (var i = 0; i < 20; i++)
            _tree.Write($"dir/sub/f{i}", $"file {i}");
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        Directory.Move(_tree.M("dir"), _tree.M("renamed"));

        var move = Assert.Single(await watcher.SettleAsync(mark));
        Assert.Equal(ChangeKind.Move, move.Kind);
        Assert.Equal("dir", move.OldPath);
        Assert.Equal("renamed", move.Path);
        Assert.True(move.IsDir);

        // The watches followed the rename: a write inside the moved dir has the new path.
        mark = watcher.Sink.Changes.Count;
        var sha = _tree.Write("renamed/sub/f3", "changed");
        var write = Assert.Single(await watcher.SettleAsync(mark));
        Assert.Equal(("renamed/sub/f3", sha), (write.Path, write.Sha256));
    }

    [Fact]
    public async Task Moving_out_of_the_tree_is_a_delete()
    {
        _tree.Write("leaving/f", "x");
        _tree.Write("file.txt", "y");
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        Directory.Move(_tree.M("leaving"), Path.Combine(_tree.Outside, "leaving"));
        File.Move(_tree.M("file.txt"), Path.Combine(_tree.Outside, "file.txt"));

        var changes = await watcher.SettleAsync(mark);
        Assert.Equal(
            [FileChange.Delete("leaving", isDir: true), FileChange.Delete("file.txt", isDir: false)],
            changes);

        // The moved-out dir is no longer watched.
        mark = watcher.Sink.Changes.Count;
        File.WriteAllText(Path.Combine(_tree.Outside, "leaving", "g"), "outside");
        Assert.Empty(await watcher.SettleAsync(mark));
    }

    [Fact]
    public async Task Moving_into_the_tree_creates_everything_in_it()
    {
        var outside = Path.Combine(_tree.Outside, "arriving");
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllText(Path.Combine(outside, "f1"), "one");
        File.WriteAllText(Path.Combine(outside, "sub", "f2"), "two");
        File.WriteAllText(Path.Combine(_tree.Outside, "single"), "three");
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        Directory.Move(outside, _tree.M("arriving"));
        File.Move(Path.Combine(_tree.Outside, "single"), _tree.M("single"));

        var changes = await watcher.SettleAsync(mark);
        Assert.Equal(["arriving", "arriving/sub"], changes.Where(c => c.Kind == ChangeKind.Mkdir).Select(c => c.Path));
        var writes = changes.Where(c => c.Kind == ChangeKind.Write).ToDictionary(c => c.Path, c => c.Sha256);
        Assert.Equal(TempTree.Sha("one"), writes["arriving/f1"]);
        Assert.Equal(TempTree.Sha("two"), writes["arriving/sub/f2"]);
        Assert.Equal(TempTree.Sha("three"), writes["single"]);

        // And it is watched now.
        mark = watcher.Sink.Changes.Count;
        var sha = _tree.Write("arriving/sub/f3", "four");
        Assert.Equal(sha, Assert.Single(await watcher.SettleAsync(mark)).Sha256);
    }

    [Fact]
    public async Task Deleting_a_dir_ends_with_it_deleted()
    {
        _tree.Write("doomed/a/f", "x");
        _tree.Write("doomed/g", "y");
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        Directory.Delete(_tree.M("doomed"), recursive: true);

        var changes = await watcher.SettleAsync(mark);
        Assert.All(changes, c => Assert.Equal(ChangeKind.Delete, c.Kind));
        Assert.Equal(FileChange.Delete("doomed", isDir: true), changes[^1]);
        Assert.False(watcher.Emitter.Told.TryGet("doomed", out _));
        Assert.Empty(watcher.Emitter.Told.Subtree("doomed"));
    }

    [Fact]
    public async Task A_file_rewritten_200_times_ends_with_its_final_hash()
    {
        await using var watcher = await WatcherHarness.StartAsync(_tree);

        var sha = "";
        for (var i = 0; i < 200; i++)
            sha = _tree.Write("busy.bin", $"version {i} " + new string('x', i * 50));

        var changes = await watcher.SettleAsync(0);
        // An attrib when a version caught again had the same bytes under a new mtime (the file truncated anew).
        var writes = changes.Where(c => c.Path == "busy.bin").ToList();
        Assert.All(writes, w => Assert.Contains(w.Kind, new[] { ChangeKind.Write, ChangeKind.Attrib }));
        Assert.Equal(sha, writes.Last(w => w.Kind == ChangeKind.Write).Sha256);
        Assert.True(watcher.Emitter.Told.TryGet("busy.bin", out var told));
        Assert.Equal(sha, told.Sha256);
        Assert.True(writes.Count <= 200);
    }

    [Fact]
    public async Task An_editor_style_save_ends_with_the_new_content()
    {
        _tree.Write("doc.txt", "draft");
        await using var watcher = await WatcherHarness.StartAsync(_tree);
        var mark = watcher.Sink.Changes.Count;

        var sha = _tree.Write(".doc.txt.swp", "final");
        File.Move(_tree.M(".doc.txt.swp"), _tree.M("doc.txt"), overwrite: true);

        var changes = await watcher.SettleAsync(mark);
        Assert.DoesNotContain(changes, c => c.Kind == ChangeKind.Delete && c.Path == "doc.txt");
        Assert.Equal(sha, changes.Last(c => c.Path == "doc.txt").Sha256);
        Assert.True(watcher.Emitter.Told.TryGet("doc.txt", out var entry));
        Assert.Equal(sha, entry.Sha256);
        Assert.False(watcher.Emitter.Told.TryGet(".doc.txt.swp", out _));
    }

    [Fact]
    public async Task Reserved_names_are_never_synced_and_symlinks_are_sent_as_links()
    {
        await using var watcher = await WatcherHarness.StartAsync(_tree);

        File.CreateSymbolicLink(_tree.M("link"), "/etc/hostname");
        Directory.CreateSymbolicLink(_tree.M("dirlink"), "/etc");
        _tree.Write(WireNames.TempFilePrefix + "x", "temp");
        _tree.Write("real", "real");

        var changes = await watcher.SettleAsync(0);
        Assert.Equal(
            [
                FileChange.Symlink("link", "/etc/hostname", DiskTime.Mtime(_tree.M("link"))),
                FileChange.Symlink("dirlink", "/etc", DiskTime.Mtime(_tree.M("dirlink"))),
                FileChange.Write("real", 4, DiskTime.Mtime(_tree.M("real")), TempTree.Sha("real"), DiskTime.Permissions(_tree.M("real"))),
            ],
            changes);
    }

    [Fact]
    public async Task Changes_made_while_stopped_are_sent_at_the_next_start()
    {
        _tree.Write("keep", "same");
        _tree.Write("modify", "before");
        _tree.Write("remove/f", "gone soon");
        _tree.Write("rename-me", "a unique content to be detected as moved");
        await using (var first = await WatcherHarness.StartAsync(_tree))
            Assert.Equal(5, first.Pipeline.Acknowledged.Count);

        var modified = _tree.Write("modify", "after, and longer");
        Directory.Delete(_tree.M("remove"), recursive: true);
        Directory.CreateDirectory(_tree.M("moved"));
        File.Move(_tree.M("rename-me"), _tree.M("moved/renamed"));
        var created = _tree.Write("created", "new");

        await using var second = await WatcherHarness.StartAsync(_tree);
        var changes = second.Sink.Changes;
        Assert.Contains(changes, c => c is { Kind: ChangeKind.Write, Path: "modify" } && c.Sha256 == modified);
        Assert.Contains(changes, c => c is { Kind: ChangeKind.Write, Path: "created" } && c.Sha256 == created);
        Assert.Contains(FileChange.Mkdir("moved", DiskTime.Permissions(_tree.M("moved"))), changes);
        Assert.Contains(changes, c => c is { Kind: ChangeKind.Move, OldPath: "rename-me", Path: "moved/renamed" });
        Assert.Contains(FileChange.Delete("remove", isDir: true), changes);
        Assert.DoesNotContain(changes, c => c.Path == "keep");
        Assert.Equal(5, changes.Count);
    }
}

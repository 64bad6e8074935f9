using Dlopbox.Contracts;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

/// <summary>The emitter's decisions: what it tells downstream, given what downstream knows and what the disk holds.</summary>
public sealed class ChangeEmitterTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly ChangeEmitter _emitter;

    public ChangeEmitterTests()
    {
        var scanner = new TreeScanner(Options.Create(_tree.Options()), NullLogger<TreeScanner>.Instance);
        _emitter = new ChangeEmitter(scanner, NullLogger<ChangeEmitter>.Instance);
    }

    public void Dispose() => _tree.Dispose();

    /// <summary>Tells downstream about <paramref name="relative"/> as it is on disk now.</summary>
    private void Known(string relative)
    {
        var full = _tree.M(relative);
        if (Directory.Exists(full))
        {
            _emitter.Told.Apply(FileChange.Mkdir(relative, Mode(relative)));
            return;
        }
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(full)));
        _emitter.Told.Apply(FileChange.Write(relative, new FileInfo(full).Length, DiskTime.Mtime(full), sha, Mode(relative)));
    }

    /// <summary>The permission bits of <paramref name="relative"/> (what the umask gave it).</summary>
    private int Mode(string relative) => DiskTime.Permissions(_tree.M(relative));

    private FileTime Mtime(string relative) => DiskTime.Mtime(_tree.M(relative));

    private async Task<List<FileChange>> Apply(params ChangeOp[] ops)
    {
        var output = new List<FileChange>();
        foreach (var op in ops)
            await _emitter.ApplyAsync(op, output, CancellationToken.None);
        return output;
    }

    [Fact]
    public async Task Rescan_of_a_new_tree_announces_each_dir_before_its_contents()
    {
        var sha = _tree.Write("a/b/f", "x");
        Directory.CreateDirectory(_tree.M("empty"));

        var changes = await Apply(ChangeOp.Rescan.Instance);

        Assert.Equal(
            [
                FileChange.Mkdir("a", Mode("a")),
                FileChange.Mkdir("empty", Mode("empty")),
                FileChange.Mkdir("a/b", Mode("a/b")),
                FileChange.Write("a/b/f", 1, Mtime("a/b/f"), sha, Mode("a/b/f")),
            ],
            changes);
    }

    [Fact]
    public async Task Rescan_sends_only_the_difference_with_the_persisted_index()
    {
        _tree.Write("same", "unchanged");
        _tree.Write("modified", "old");
        _tree.Write("dir/deleted", "bye");
        Known("same");
        Known("modified");
        Known("dir");
        Known("dir/deleted");
        var sha = _tree.Write("modified", "new content");
        File.Delete(_tree.M("dir/deleted"));
        var created = _tree.Write("dir/created", "hi");

        var changes = await Apply(ChangeOp.Rescan.Instance);

        Assert.Equal(
            [
                FileChange.Write("modified", 11, Mtime("modified"), sha, Mode("modified")),
                FileChange.Write("dir/created", 2, Mtime("dir/created"), created, Mode("dir/created")),
                FileChange.Delete("dir/deleted", isDir: false),
            ],
            changes);
    }

    [Fact]
    public async Task Rescan_detects_a_rename_by_size_and_hash()
    {
        var sha = _tree.Write("old/name", "content that moved");
        Known("old");
        Known("old/name");
        Directory.Move(_tree.M("old"), _tree.M("new"));

        var changes = await Apply(ChangeOp.Rescan.Instance);

        Assert.Equal(
            [
                FileChange.Mkdir("new", Mode("new")),
                FileChange.MoveFile("old/name", "new/name", 18, Mtime("new/name"), sha, Mode("new/name")),
                FileChange.Delete("old", isDir: true),
            ],
            changes);
        Assert.False(_emitter.Told.TryGet("old", out _));
        Assert.True(_emitter.Told.TryGet("new/name", out var entry));
        Assert.Equal(sha, entry.Sha256);
    }

    [Fact]
    public async Task Rescan_trusts_size_and_mtime_but_close_write_rehashes()
    {
        _tree.Write("f", "aaaa");
        Known("f");
        var mtime = DiskTime.Mtime(_tree.M("f"));
        var sha = _tree.Write("f", "bbbb");
        Dlopbox.FileSystem.FileTimes.SetMtime(_tree.M("f"), mtime); // same size, same mtime, other bytes

        Assert.Empty(await Apply(ChangeOp.Rescan.Instance, new ChangeOp.Dirty("f")));
        Assert.Equal([FileChange.Write("f", 4, mtime, sha, Mode("f"))], await Apply(new ChangeOp.Dirty("f", Force: true)));
    }

    [Fact]
    public async Task A_file_replaced_by_a_dir_is_deleted_first()
    {
        _tree.Write("x", "file");
        Known("x");
        File.Delete(_tree.M("x"));
        Directory.CreateDirectory(_tree.M("x"));

        Assert.Equal([FileChange.Delete("x", isDir: false), FileChange.Mkdir("x", Mode("x"))], await Apply(new ChangeOp.Dirty("x")));
    }

    [Fact]
    public async Task Missing_paths_and_unknown_deletes_emit_nothing()
    {
        Assert.Empty(await Apply(new ChangeOp.Dirty("nope"), new ChangeOp.Delete("nope")));
    }

    [Fact]
    public async Task A_known_move_is_a_move_and_an_unknown_source_is_a_create()
    {
        var sha = _tree.Write("d/f", "data");
        Known("d");
        Known("d/f");
        Directory.Move(_tree.M("d"), _tree.M("e"));
        var fresh = _tree.Write("elsewhere/g", "new");

        var changes = await Apply(new ChangeOp.Move("d", "e"), new ChangeOp.Move("tmp-unknown", "elsewhere"));

        Assert.Equal(
            [
                FileChange.MoveDir("d", "e"),
                FileChange.Mkdir("elsewhere", Mode("elsewhere")),
                FileChange.Write("elsewhere/g", 3, Mtime("elsewhere/g"), fresh, Mode("elsewhere/g")),
            ],
            changes);
        Assert.True(_emitter.Told.TryGet("e/f", out var moved));
        Assert.Equal(sha, moved.Sha256);
    }

    [Fact]
    public async Task A_symlink_in_place_of_a_known_file_deletes_the_file_first()
    {
        _tree.Write("f", "x");
        Known("f");
        File.Delete(_tree.M("f"));
        File.CreateSymbolicLink(_tree.M("f"), "/etc/hostname");

        Assert.Equal(
            [FileChange.Delete("f", isDir: false), FileChange.Symlink("f", "/etc/hostname", Mtime("f"))],
            await Apply(new ChangeOp.Dirty("f", Force: true)));
    }
}

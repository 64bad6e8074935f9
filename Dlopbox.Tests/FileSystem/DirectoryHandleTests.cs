using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Tests.Client;

namespace Dlopbox.Tests.FileSystem;

public sealed class DirectoryHandleTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly DirectoryHandle _replica;

    public DirectoryHandleTests() => _replica = DirectoryHandle.Open(_dir.Replica);

    public void Dispose()
    {
        _replica.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_link_is_not_opened_as_a_directory()
    {
        Directory.CreateDirectory(_dir.InReplica("real"));
        File.CreateSymbolicLink(_dir.InReplica("link"), _dir.InReplica("real"));

        Assert.Equal(0, _replica.TryOpenDirectory("real", out var real));
        real!.Dispose();
        Assert.Equal(Errno.ENOTDIR, _replica.TryOpenDirectory("link", out _));
        Assert.Equal(Errno.ENOENT, _replica.TryOpenDirectory("missing", out _));
    }

    [Fact]
    public void Deleting_a_tree_unlinks_the_links_in_it_without_entering_them()
    {
        var outside = Path.Combine(_dir.Root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "victim"), "keep me");
        _dir.WriteFile("tree/a/b/file", "x");
        File.CreateSymbolicLink(_dir.InReplica("tree/a/out"), outside);
        File.CreateSymbolicLink(_dir.InReplica("tree/victim-link"), Path.Combine(outside, "victim"));

        TreeRemover.Delete(_replica, "tree");
        TreeRemover.Delete(_replica, "tree");

        Assert.Empty(Directory.GetFileSystemEntries(_dir.Replica));
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(outside, "victim")));
    }

    [Fact]
    public void Names_permissions_links_and_renames()
    {
        _dir.WriteFile("f", "x");
        Directory.CreateDirectory(_dir.InReplica("d"));
        _replica.CreateSymlink("../somewhere else", "l");

        Assert.Equal(["d", "f", "l"], _replica.ListNames().Order(StringComparer.Ordinal));
        Assert.Equal("../somewhere else", _replica.ReadLink("l"));
        Assert.Null(_replica.ReadLink("f"));

        _replica.SetPermissions("f", 0x180);
        _replica.SetPermissions("d", 0x1C0);
        Assert.True(_replica.TryLstat("f", out var file));
        Assert.Equal(0x180, file.Permissions);
        Assert.True(_replica.TryLstat("d", out var dir));
        Assert.Equal(0x1C0, dir.Permissions);
        Assert.Throws<IOException>(() => _replica.SetPermissions("l", 0x1FF));

        var mtime = new FileTime(1_700_000_000, 123_456_789);
        _replica.SetMtime("l", mtime);
        Assert.True(_replica.TryLstat("l", out var link));
        Assert.Equal(mtime, link.Mtime);

        _replica.Rename("l", _replica, "f");
        Assert.Equal("../somewhere else", _replica.ReadLink("f"));
    }

    [Fact]
    public void A_new_file_refuses_an_existing_name_even_a_dangling_link()
    {
        _replica.CreateSymlink(Path.Combine(_dir.Root, "planted"), "l");

        Assert.Throws<IOException>(() => _replica.CreateFile("l", 0x180));
        Assert.False(File.Exists(Path.Combine(_dir.Root, "planted")));

        using (var handle = _replica.CreateFile("new", 0x180))
        {
            FileModes.SetPermissions(handle, 0x1A4);
        }
        Assert.True(_replica.TryLstat("new", out var status));
        Assert.Equal(0x1A4, status.Permissions);
    }
}

using Dlopbox.Contracts;
using Dlopbox.Interface.Index;

namespace Dlopbox.Tests.Interface;

public class MasterIndexTests
{
    private static readonly DateTimeOffset Mtime = new(2026, 11, 23, 1, 2, 3, TimeSpan.Zero);
    private static readonly string Hash = new('a', 64);

    private static MasterIndex Apply(params FileChange[] changes)
    {
        var index = new MasterIndex();
        for (var i = 0; i < changes.Length; i++)
            index.Apply(i, changes[i]);
        return index;
    }

    private static string[] Paths(MasterIndex index) => index.TakeSnapshot().Entries.Select(e => e.IsDir ? e.Path + "/" : e.Path).ToArray();

    [Fact]
    public void Reset_empties_the_index_for_a_new_epoch_whose_offsets_start_again_at_0()
    {
        var index = Apply(FileChange.Mkdir("a"), FileChange.Write("a/f", 3, Mtime, Hash));
        Assert.Null(index.Epoch);
        index.Reset("e2");
        Assert.Equal((-1L, 0, "e2"), (index.Offset, index.Count, index.Epoch));
        var empty = index.TakeSnapshot();
        Assert.Equal((-1L, "e2"), (empty.Offset, empty.Epoch));
        Assert.Empty(empty.Entries);

        // Offset 0 again is applied, not skipped as already seen.
        index.Apply(0, FileChange.Mkdir("b"));
        Assert.Equal(["b/"], Paths(index));
        Assert.Equal("e2", index.TakeSnapshot().Epoch);
    }

    [Fact]
    public void Load_takes_the_snapshots_epoch_and_a_snapshot_gives_it_back()
    {
        var index = new MasterIndex();
        index.Load(new Snapshot(7, [new SnapshotEntry { Path = "d", IsDir = true, Offset = 7 }], "e1"));
        Assert.Equal(("e1", 7L, 1), (index.Epoch, index.Offset, index.Count));
        Assert.Equal("e1", index.TakeSnapshot().Epoch);
        index.Load(new Snapshot(7, []));
        Assert.Null(index.Epoch);
    }

    [Fact]
    public void Writes_create_their_parent_dirs_and_the_snapshot_carries_the_offset()
    {
        var index = Apply(FileChange.Write("a/b/f", 3, Mtime, Hash));
        Assert.Equal(["a/", "a/b/", "a/b/f"], Paths(index));
        var snapshot = index.TakeSnapshot();
        Assert.Equal(0, snapshot.Offset);
        Assert.Equal(3, snapshot.Entries.Single(e => e.Path == "a/b/f").Size);
    }

    [Fact]
    public void A_dir_move_rekeys_the_whole_subtree()
    {
        var index = Apply(
            FileChange.Write("src/x/1", 1, Mtime, Hash),
            FileChange.Write("src/2", 2, Mtime, Hash),
            FileChange.MoveDir("src", "dst/moved"));
        Assert.Equal(["dst/", "dst/moved/", "dst/moved/2", "dst/moved/x/", "dst/moved/x/1"], Paths(index));
        Assert.All(index.TakeSnapshot().Entries, e => Assert.StartsWith(e.Path, e.Path));
        Assert.Equal("dst/moved/x/1", index.TakeSnapshot().Entries.Last().Path);
    }

    [Fact]
    public void Deletes_remove_subtrees_and_file_dir_swaps_replace_entries()
    {
        var index = Apply(
            FileChange.Write("d/f", 1, Mtime, Hash),
            FileChange.Delete("d", isDir: true),
            FileChange.Write("d", 5, Mtime, Hash),
            FileChange.Write("x", 1, Mtime, Hash),
            FileChange.Mkdir("x"));
        Assert.Equal(["d", "x/"], Paths(index));
    }

    [Fact]
    public void Old_or_repeated_offsets_are_ignored()
    {
        var index = new MasterIndex();
        index.Apply(5, FileChange.Write("f", 1, Mtime, Hash));
        index.Apply(5, FileChange.Delete("f", isDir: false));
        index.Apply(3, FileChange.Delete("f", isDir: false));
        Assert.Equal(["f"], Paths(index));
        Assert.Equal(5, index.Offset);
    }

    [Fact]
    public void Symlinks_are_entries_with_their_target_and_attribs_change_mode_and_mtime_only()
    {
        var later = new FileTime(1_800_000_000, 123_456_789);
        var index = Apply(
            FileChange.Write("f", 3, Mtime, Hash, mode: 0b110_100_100),
            FileChange.Symlink("l", "f", Mtime),
            FileChange.Attrib("f", isDir: false, mode: 0b111_101_101, later),
            FileChange.Mkdir("d", mode: 0b111_101_101),
            FileChange.Attrib("d", isDir: true, mode: 0b111_000_000, mtime: null),
            FileChange.Attrib("missing", isDir: false, mode: 0, later),
            FileChange.MoveSymlink("l", "d/l", "f", Mtime));
        var entries = index.TakeSnapshot().Entries.ToDictionary(e => e.Path);
        Assert.Equal(["d", "d/l", "f"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("f", (FileTime?)(FileTime)Mtime, 0L), (entries["d/l"].Target, entries["d/l"].Mtime, entries["d/l"].Size));
        Assert.Equal((0b111_101_101, later, Hash, 3L), (entries["f"].Mode!.Value, entries["f"].Mtime!.Value, entries["f"].Sha256, entries["f"].Size));
        Assert.Equal(0b111_000_000, entries["d"].Mode);
        Assert.Null(entries["d"].Mtime);
    }

    [Fact]
    public void A_symlink_replacing_a_dir_takes_its_subtree()
    {
        var index = Apply(FileChange.Write("d/f", 1, Mtime, Hash), FileChange.Symlink("d", "/etc", Mtime));
        Assert.Equal(["d"], Paths(index));
        Assert.Equal("/etc", index.TakeSnapshot().Entries.Single().Target);
    }
}

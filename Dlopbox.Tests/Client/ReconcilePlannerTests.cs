using Dlopbox.Client.Replica;
using Dlopbox.Contracts;

namespace Dlopbox.Tests.Client;

public class ReconcilePlannerTests
{
    private static readonly DateTimeOffset Mtime = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static SnapshotEntry File(string path, long size = 10, DateTimeOffset? mtime = null) =>
        new() { Path = path, Size = size, Mtime = mtime ?? Mtime, Sha256 = new string('a', 64) };

    private static SnapshotEntry Dir(string path) => new() { Path = path, IsDir = true };

    private static LocalEntry LocalFile(string path, long size = 10, DateTimeOffset? mtime = null) =>
        new(path, "/replica/" + path, LocalKind.File, size, mtime ?? Mtime);

    private static LocalEntry LocalDir(string path) => new(path, "/replica/" + path, LocalKind.Directory);

    [Fact]
    public void An_already_correct_replica_downloads_nothing()
    {
        var plan = ReconcilePlanner.Plan(
            [Dir("a"), File("a/x"), File("b", 0)],
            [LocalDir("a"), LocalFile("a/x"), LocalFile("b", 0)]);

        Assert.Equal(2, plan.Kept);
        Assert.Empty(plan.Downloads);
        Assert.Empty(plan.Deletes);
        Assert.Empty(plan.Mkdirs);
        Assert.Empty(plan.TempFiles);
    }

    [Fact]
    public void An_empty_replica_gets_every_dir_and_file()
    {
        var plan = ReconcilePlanner.Plan([File("a/b/x"), Dir("a"), Dir("empty"), File("top")], []);

        // "a/b" is implied by "a/b/x" even though the snapshot does not list it.
        Assert.Equal(["a", "a/b", "empty"], plan.Mkdirs);
        Assert.Equal(["a/b/x", "top"], plan.Downloads.Select(entry => entry.Path));
        Assert.Equal(0, plan.Kept);
    }

    [Fact]
    public void Files_differing_in_size_or_mtime_are_downloaded()
    {
        var plan = ReconcilePlanner.Plan(
            [File("same"), File("bigger", 11), File("newer", 10, Mtime.AddTicks(1))],
            [LocalFile("same"), LocalFile("bigger"), LocalFile("newer")]);

        Assert.Equal(1, plan.Kept);
        Assert.Equal(["bigger", "newer"], plan.Downloads.Select(entry => entry.Path));
        Assert.Empty(plan.Deletes);
    }

    [Fact]
    public void Extras_are_deleted_once_at_the_top_of_their_subtree()
    {
        var plan = ReconcilePlanner.Plan(
            [File("keep")],
            [LocalFile("keep"), LocalDir("old"), LocalDir("old/deep"), LocalFile("old/deep/x"), LocalFile("old y"), LocalFile("stray")]);

        Assert.Equal(["old", "old y", "stray"], plan.Deletes.Select(entry => entry.Path));
    }

    [Fact]
    public void A_local_dir_where_the_master_has_a_file_is_replaced()
    {
        var plan = ReconcilePlanner.Plan([File("p")], [LocalDir("p"), LocalFile("p/inner")]);

        Assert.Equal(["p"], plan.Deletes.Select(entry => entry.Path));
        Assert.Equal(["p"], plan.Downloads.Select(entry => entry.Path));
    }

    [Fact]
    public void A_local_file_where_the_master_has_a_dir_is_replaced()
    {
        var plan = ReconcilePlanner.Plan([Dir("p"), File("p/x")], [LocalFile("p")]);

        Assert.Equal(["p"], plan.Deletes.Select(entry => entry.Path));
        Assert.Equal(["p"], plan.Mkdirs);
        Assert.Equal(["p/x"], plan.Downloads.Select(entry => entry.Path));
    }

    [Fact]
    public void Links_are_never_kept()
    {
        var plan = ReconcilePlanner.Plan([File("l"), Dir("d")],
            [new LocalEntry("l", "/replica/l", LocalKind.Link), new LocalEntry("d", "/replica/d", LocalKind.Link)]);

        Assert.Equal(["d", "l"], plan.Deletes.Select(entry => entry.Path));
        Assert.Equal(["d"], plan.Mkdirs);
        Assert.Equal(["l"], plan.Downloads.Select(entry => entry.Path));
    }

    [Fact]
    public void Leftover_temp_files_are_removed_even_where_the_master_has_the_dir()
    {
        var temp = WireNames.TempFilePrefix + "0123abcd";
        var plan = ReconcilePlanner.Plan(
            [Dir("a"), File("a/x")],
            [LocalDir("a"), LocalFile("a/x"), LocalFile("a/" + temp), LocalFile(temp)]);

        Assert.Equal([temp, "a/" + temp], plan.TempFiles.Select(entry => entry.Path));
        Assert.Empty(plan.Deletes);
        Assert.Equal(1, plan.Kept);
    }

    [Fact]
    public void Temp_files_inside_a_deleted_dir_go_with_it()
    {
        var plan = ReconcilePlanner.Plan([], [LocalDir("gone"), LocalFile("gone/" + WireNames.TempFilePrefix + "1")]);

        Assert.Equal(["gone"], plan.Deletes.Select(entry => entry.Path));
        Assert.Empty(plan.TempFiles);
    }

    [Fact]
    public void Unsafe_snapshot_paths_are_refused_not_planned()
    {
        var plan = ReconcilePlanner.Plan(
            [File("../escape"), File("/etc/passwd"), File(".dlopbox-state"), File("ok")],
            []);

        Assert.Equal(["../escape", "/etc/passwd", ".dlopbox-state"], plan.Refused);
        Assert.Equal(["ok"], plan.Downloads.Select(entry => entry.Path));
    }

    [Fact]
    public void Planning_a_scanned_replica_dir()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("a/x", "0123456789", Mtime.UtcDateTime);
        dir.WriteFile("a/stale", "old");
        dir.WriteFile("b/" + WireNames.TempFilePrefix + "9", "half");
        Directory.CreateDirectory(dir.InReplica("b/c"));

        var plan = ReconcilePlanner.Plan([File("a/x"), File("b/y", 3)], new ReplicaDirectory(dir.Replica, TestTelemetry.OwnWrites()).Scan());

        Assert.Equal(1, plan.Kept);
        Assert.Equal(["b/y"], plan.Downloads.Select(entry => entry.Path));
        Assert.Equal(["a/stale", "b/c"], plan.Deletes.Select(entry => entry.Path));
        Assert.Equal(["b/" + WireNames.TempFilePrefix + "9"], plan.TempFiles.Select(entry => entry.Path));
        Assert.All(plan.Deletes, entry => Assert.StartsWith(dir.Replica + "/", entry.FullPath));
    }

    private static SnapshotEntry Link(string path, string target, DateTimeOffset? mtime = null) =>
        new() { Path = path, Target = target, Mtime = mtime ?? Mtime };

    private static LocalEntry LocalLink(string path, string target, DateTimeOffset? mtime = null) =>
        new(path, "/replica/" + path, LocalKind.Link, Mtime: mtime ?? Mtime, Target: target);

    [Fact]
    public void Links_are_made_when_missing_or_different_and_kept_when_equal()
    {
        var plan = ReconcilePlanner.Plan(
            [Link("same", "t"), Link("missing", "t"), Link("retargeted", "new"), Link("touched", "t", Mtime.AddSeconds(1))],
            [LocalLink("same", "t"), LocalLink("retargeted", "old"), LocalLink("touched", "t")]);

        Assert.Equal(1, plan.Kept);
        Assert.Equal(["missing", "retargeted", "touched"], plan.Symlinks.Select(entry => entry.Path));
        // A link is replaced by rename, atomically: no delete first.
        Assert.Empty(plan.Deletes);
        Assert.Empty(plan.Downloads);
    }

    [Fact]
    public void A_local_link_where_the_master_has_a_file_or_dir_is_replaced_and_vice_versa()
    {
        var plan = ReconcilePlanner.Plan(
            [File("was-link"), Dir("dir-was-link"), Link("was-file", "t"), Link("was-dir", "t")],
            [LocalLink("was-link", "t"), LocalLink("dir-was-link", "t"), LocalFile("was-file"), LocalDir("was-dir"), LocalFile("was-dir/inner")]);

        Assert.Equal(["dir-was-link", "was-dir", "was-file", "was-link"], plan.Deletes.Select(entry => entry.Path));
        Assert.Equal(["was-link"], plan.Downloads.Select(entry => entry.Path));
        Assert.Equal(["dir-was-link"], plan.Mkdirs);
        Assert.Equal(["was-dir", "was-file"], plan.Symlinks.Select(entry => entry.Path));
    }

    [Fact]
    public void A_file_with_its_content_but_another_mode_is_only_chmodded_and_dirs_get_their_mode()
    {
        var plan = ReconcilePlanner.Plan(
            [File("same") with { Mode = 0x1A4 }, File("chmod") with { Mode = 0x1ED }, File("no-mode"), Dir("d") with { Mode = 0x1C0 }, Dir("new") with { Mode = 0x1E8 },
                File("changed", 11) with { Mode = 0x180 }],
            [LocalFile("same") with { Mode = 0x1A4 }, LocalFile("chmod") with { Mode = 0x1A4 }, LocalFile("no-mode") with { Mode = 0x1FF }, LocalDir("d") with { Mode = 0x1ED },
                LocalFile("changed")]);

        Assert.Equal(2, plan.Kept);
        Assert.Equal([new ModeChange("chmod", 0x1ED), new ModeChange("d", 0x1C0), new ModeChange("new", 0x1E8)], plan.ModeChanges);
        Assert.Equal(["changed"], plan.Downloads.Select(entry => entry.Path));
        Assert.Equal(0x180, plan.Downloads[0].Mode);
        Assert.Equal(["new"], plan.Mkdirs);
    }

    [Fact]
    public void Scanning_records_links_modes_and_nanosecond_mtimes_without_following_links()
    {
        using var dir = new TempDirectory();
        var outside = Path.Combine(dir.Root, "outside");
        Directory.CreateDirectory(outside);
        System.IO.File.WriteAllText(Path.Combine(outside, "secret"), "x");
        dir.WriteFile("f", "0123456789");
        System.IO.File.CreateSymbolicLink(dir.InReplica("out"), outside);
        System.IO.File.CreateSymbolicLink(dir.InReplica(WireNames.TempFilePrefix + "1"), "t");
        using var replica = new ReplicaDirectory(dir.Replica, TestTelemetry.OwnWrites());

        var scan = replica.Scan();
        var link = Assert.Single(scan, entry => entry.Path == "out");
        var plan = ReconcilePlanner.Plan([Link("out", outside) with { Mtime = link.Mtime }], scan);

        Assert.Equal((LocalKind.Link, outside), (link.Kind, link.Target));
        Assert.Equal(DiskTime.Mtime(dir.InReplica("out")), link.Mtime);
        Assert.Equal(DiskTime.Mtime(dir.InReplica("f")), scan.Single(entry => entry.Path == "f").Mtime);
        Assert.DoesNotContain(scan, entry => entry.Path.StartsWith("out/", StringComparison.Ordinal));
        Assert.Equal(1, plan.Kept);
        Assert.Equal([WireNames.TempFilePrefix + "1"], plan.TempFiles.Select(entry => entry.Path));
        Assert.Equal(1, replica.DeleteTempFiles());
    }
}

public class ReconcilePlannerKeepLocalFilesTests
{
    private static readonly DateTimeOffset Mtime = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static SnapshotEntry File(string path, long size = 10) =>
        new() { Path = path, Size = size, Mtime = Mtime, Sha256 = new string('a', 64) };

    private static SnapshotEntry Dir(string path) => new() { Path = path, IsDir = true };

    private static LocalEntry LocalFile(string path, long size = 10) => new(path, "/replica/" + path, LocalKind.File, size, Mtime);

    private static LocalEntry LocalDir(string path) => new(path, "/replica/" + path, LocalKind.Directory);

    private static LocalEntry LocalLink(string path) => new(path, "/replica/" + path, LocalKind.Link, 0, Mtime, null, "t");

    [Fact]
    public void Extras_are_kept_but_modified_files_are_still_downloaded()
    {
        var plan = ReconcilePlanner.Plan(
            [Dir("a"), File("a/x"), File("changed")],
            [LocalDir("a"), LocalFile("a/x"), LocalFile("a/extra"), LocalDir("mine"), LocalFile("mine/notes"), LocalLink("link"), LocalFile("changed", 3)],
            keepLocalFiles: true);

        Assert.Empty(plan.Deletes);
        Assert.Equal(["changed"], plan.Downloads.Select(entry => entry.Path));
        Assert.Equal(1, plan.Kept);
    }

    [Fact]
    public void An_entry_of_the_wrong_kind_at_a_master_path_is_still_replaced_and_temp_files_removed()
    {
        var temp = WireNames.TempFilePrefix + "1";
        var plan = ReconcilePlanner.Plan(
            [File("was-dir"), Dir("was-file")],
            [LocalDir("was-dir"), LocalFile("was-dir/inner"), LocalFile("was-file"), LocalFile(temp)],
            keepLocalFiles: true);

        Assert.Equal(["was-dir", "was-file"], plan.Deletes.Select(entry => entry.Path));
        Assert.Equal([temp], plan.TempFiles.Select(entry => entry.Path));
        Assert.Equal(["was-file"], plan.Mkdirs);
        Assert.Equal(["was-dir"], plan.Downloads.Select(entry => entry.Path));
    }

    [Fact]
    public void Without_the_option_the_same_extras_are_deleted()
    {
        var plan = ReconcilePlanner.Plan([Dir("a")], [LocalDir("a"), LocalFile("a/extra"), LocalDir("mine"), LocalFile("mine/notes")]);

        Assert.Equal(["a/extra", "mine"], plan.Deletes.Select(entry => entry.Path));
    }
}

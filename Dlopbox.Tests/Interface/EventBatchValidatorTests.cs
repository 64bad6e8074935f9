using Dlopbox.Contracts;
using Dlopbox.Interface.Api;

namespace Dlopbox.Tests.Interface;

public class EventBatchValidatorTests
{
    private static Dictionary<string, string[]> Validate(params FileChange[] changes) =>
        EventBatchValidator.Validate(new EventBatch { Source = "test", Events = changes }, maxFileSize: 1000);

    [Fact]
    public void A_well_formed_batch_has_no_errors()
    {
        Assert.Empty(Validate(
            FileChange.Mkdir("d"),
            FileChange.Write("d/f", 10, DateTimeOffset.UtcNow, new string('0', 64)),
            FileChange.MoveDir("d", "e"),
            FileChange.Delete("e", isDir: true)));
    }

    [Fact]
    public void Each_problem_names_its_field()
    {
        var errors = Validate(
            FileChange.Write("../f", 10, DateTimeOffset.UtcNow, new string('0', 64)),
            FileChange.Write("g", 5000, DateTimeOffset.UtcNow, "nothex"),
            new FileChange { Kind = ChangeKind.Move, Path = "x" },
            FileChange.MoveDir("a", "a/inside"));
        Assert.Contains("events[0].path", errors.Keys);
        Assert.Contains("events[1].size", errors.Keys);
        Assert.Contains("events[1].sha256", errors.Keys);
        Assert.Contains("events[2].oldPath", errors.Keys);
        Assert.Contains("events[3].path", errors.Keys);
    }

    [Fact]
    public void Symlinks_attribs_and_modes_are_accepted_in_their_shapes()
    {
        Assert.Empty(Validate(
            FileChange.Symlink("l", "../outside/target", DateTimeOffset.UtcNow),
            FileChange.Symlink("dangling", "/no/such/place", DateTimeOffset.UtcNow),
            FileChange.MoveSymlink("l", "m", "../outside/target", DateTimeOffset.UtcNow),
            FileChange.Attrib("f", isDir: false, mode: 0b111_101_101, DateTimeOffset.UtcNow),
            FileChange.Attrib("d", isDir: true, mode: 0b111_000_000, mtime: null),
            FileChange.Write("x", 1, DateTimeOffset.UtcNow, new string('0', 64), mode: 0b110_100_100),
            FileChange.Mkdir("d", mode: 0b111_101_101)));
    }

    [Fact]
    public void A_symlink_needs_a_target_and_a_mode_must_be_permission_bits()
    {
        var errors = Validate(
            new FileChange { Kind = ChangeKind.Symlink, Path = "l", Mtime = DateTimeOffset.UtcNow },
            FileChange.Symlink("l2", "bad\0target", DateTimeOffset.UtcNow),
            FileChange.Write("f", 1, DateTimeOffset.UtcNow, new string('0', 64), mode: 0b100_111_101_101), // setuid
            new FileChange { Kind = ChangeKind.Attrib, Path = "g" },
            FileChange.Symlink("l3", "t", DateTimeOffset.UtcNow) with { Mode = 0b111_111_111 },
            FileChange.Write("h", 1, DateTimeOffset.UtcNow, new string('0', 64)) with { Target = "t" },
            FileChange.Mkdir("d") with { Mtime = DateTimeOffset.UtcNow });
        Assert.Contains("events[0].target", errors.Keys);
        Assert.Contains("events[1].target", errors.Keys);
        Assert.Contains("events[2].mode", errors.Keys);
        Assert.Contains("events[3].mode", errors.Keys);
        Assert.Contains("events[4].mode", errors.Keys);
        Assert.Contains("events[5].target", errors.Keys);
        Assert.Contains("events[6].mtime", errors.Keys);
    }
}

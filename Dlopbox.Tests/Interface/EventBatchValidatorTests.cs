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
}

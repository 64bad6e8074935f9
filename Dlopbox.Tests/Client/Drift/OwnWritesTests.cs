using Dlopbox.Client.Drift;

namespace Dlopbox.Tests.Client.Drift;

public class OwnWritesTests
{
    [Fact]
    public void Remembers_a_path_its_subtree_and_its_parents_for_the_window_then_forgets()
    {
        var time = new ManualTimeProvider();
        var own = new OwnWrites(time);
        own.Record("a/b/c");

        Assert.True(own.IsRecent("a/b/c"));
        Assert.True(own.IsRecent("a/b/c/inside"));
        Assert.True(own.IsRecent("a/b"));
        Assert.True(own.IsRecent("a"));
        Assert.False(own.IsRecent("a/other"));
        Assert.False(own.IsRecent("x"));

        time.Advance(OwnWrites.Window + TimeSpan.FromMilliseconds(1));
        Assert.False(own.IsRecent("a/b/c"));
        Assert.False(own.IsRecent("a"));
    }

    [Fact]
    public void Recording_again_keeps_a_path_longer()
    {
        var time = new ManualTimeProvider();
        var own = new OwnWrites(time);
        own.Record("f");
        time.Advance(OwnWrites.Window / 2);
        own.Record("f");
        time.Advance(OwnWrites.Window * 3 / 4);

        Assert.True(own.IsRecent("f"));
    }

    [Fact]
    public void Is_bounded_by_forgetting_the_oldest()
    {
        var own = new OwnWrites(new ManualTimeProvider());
        for (var i = 0; i <= OwnWrites.MaxPaths; i++)
            own.Record($"d/f{i}");

        Assert.False(own.IsRecent("d/f0"));
        Assert.True(own.IsRecent("d/f1"));
        Assert.True(own.IsRecent($"d/f{OwnWrites.MaxPaths}"));
        Assert.True(own.IsRecent("d"));
    }
}

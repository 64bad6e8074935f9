using Dlopbox.Contracts;

namespace Dlopbox.Tests.Contracts;

public class PathIndexTests
{
    private static PathIndex<int> Sample()
    {
        var index = new PathIndex<int>();
        foreach (var (path, i) in new[] { "a", "a/x", "a/y/z", "ab", "a0", "b" }.Select((p, i) => (p, i)))
            index.Set(path, i);
        return index;
    }

    [Fact]
    public void RemoveTree_removes_the_dir_and_only_its_descendants()
    {
        var index = Sample();
        Assert.Equal(3, index.RemoveTree("a"));
        Assert.Equal(["a0", "ab", "b"], index.All().Select(e => e.Key));
    }

    [Fact]
    public void MoveTree_rekeys_the_subtree_and_replaces_the_target()
    {
        var index = Sample();
        index.Set("c/old", 99);
        Assert.Equal(3, index.MoveTree("a", "c"));
        Assert.Equal(["a0", "ab", "b", "c", "c/x", "c/y/z"], index.All().Select(e => e.Key));
        Assert.True(index.TryGet("c/y/z", out var value));
        Assert.Equal(2, value);
    }

    [Fact]
    public void Subtree_lists_in_path_order()
    {
        Assert.Equal(["a", "a/x", "a/y/z"], Sample().Subtree("a").Select(e => e.Key));
        Assert.Empty(Sample().Subtree("nope"));
    }
}

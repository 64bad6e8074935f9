using Dlopbox.Contracts;

namespace Dlopbox.Tests.Contracts;

public class PathRulesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("a/b/c.txt")]
    [InlineData("with space/and#hash/100%/what?.txt")]
    [InlineData("ünïcødé/日本語.txt")]
    [InlineData(".hidden/..dots/...")]
    public void Accepts_normalized_relative_paths(string path) => Assert.Null(PathRules.Check(path));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "relative")]
    [InlineData("a/", "end with")]
    [InlineData("a//b", "empty segment")]
    [InlineData("../x", "'..'")]
    [InlineData("a/../../x", "'..'")]
    [InlineData("a/./b", "'.'")]
    [InlineData("a\0b", "NUL")]
    [InlineData("a\uffff", "U+FFFF")]
    public void Rejects_paths_that_are_not_normalized_or_escape(string path, string reason)
    {
        var error = PathRules.Check(path);
        Assert.NotNull(error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Rejects_lone_surrogates()
    {
        // Built at run time: attribute metadata would turn a lone surrogate into U+FFFD.
        var path = "a" + (char)0xD800 + "b";
        Assert.Contains("surrogate", PathRules.Check(path));
    }

    [Fact]
    public void Rejects_overlong_names_and_paths()
    {
        Assert.NotNull(PathRules.Check(new string('a', 256)));
        Assert.Null(PathRules.Check(new string('a', 255)));
        Assert.NotNull(PathRules.Check(string.Join('/', Enumerable.Repeat(new string('a', 200), 21))));
    }

    [Fact]
    public void ResolveUnder_stays_inside_the_root()
    {
        Assert.Equal("/srv/replica/a/b", PathRules.ResolveUnder("/srv/replica/", "a/b"));
        Assert.Throws<UnsafePathException>(() => PathRules.ResolveUnder("/srv/replica", "../replica2/x"));
        Assert.Throws<UnsafePathException>(() => PathRules.ResolveUnder("/srv/replica", "/etc/passwd"));
    }

    [Fact]
    public void Subtree_helpers_respect_segment_boundaries()
    {
        Assert.True(PathRules.IsSameOrUnder("a/b", "a"));
        Assert.True(PathRules.IsSameOrUnder("a", "a"));
        Assert.False(PathRules.IsSameOrUnder("ab", "a"));
        Assert.Equal("z/b/c", PathRules.Rebase("a/b/c", "a", "z"));
        Assert.Equal("x/y", PathRules.Combine("x", "y"));
        Assert.Equal("y", PathRules.Combine("", "y"));
        Assert.Null(PathRules.Parent("top"));
        Assert.Equal("a/b", PathRules.Parent("a/b/c"));
    }

    [Fact]
    public void Url_paths_escape_every_segment()
    {
        Assert.Equal("a%20b/c%23d/e%25f/g%3Fh/%C3%BC", PathRules.ToUrlPath("a b/c#d/e%f/g?h/ü"));
    }

    [Fact]
    public void Reserved_names_are_recognized_in_any_segment()
    {
        Assert.True(PathRules.IsReserved(".dlopbox-tmp-123"));
        Assert.True(PathRules.IsReserved("a/.dlopbox/state"));
        Assert.False(PathRules.IsReserved("a/dlopbox"));
    }
}

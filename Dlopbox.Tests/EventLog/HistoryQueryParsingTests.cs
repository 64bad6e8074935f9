using Dlopbox.Contracts;
using Dlopbox.Interface.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Dlopbox.Tests.EventLog;

public class HistoryQueryParsingTests
{
    private static (bool Ok, Dlopbox.Interface.EventLog.EventQuery Query, Dictionary<string, string[]> Errors) Parse(params (string Key, string Value)[] pairs)
    {
        var collection = new QueryCollection(pairs.ToDictionary(p => p.Key, p => new StringValues(p.Value)));
        var ok = HistoryApi.TryParse(collection, out var query, out var errors);
        return (ok, query, errors);
    }

    [Fact]
    public void Every_parameter_is_understood()
    {
        var (ok, query, _) = Parse(("path", "a/b"), ("prefix", "a"), ("kind", "move"), ("since", "2026-11-23T10:00:00Z"),
            ("until", "2026-11-23T11:00:00+01:00"), ("limit", "5"), ("after", "17"), ("order", "asc"));
        Assert.True(ok);
        Assert.Equal("a/b", query.Path);
        Assert.Equal(ChangeKind.Move, query.Kind);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), query.Until);
        Assert.Equal(5, query.Limit);
        Assert.Equal(17, query.After);
        Assert.True(query.Ascending);
    }

    [Fact]
    public void Defaults_are_newest_first_100_at_a_time()
    {
        var (ok, query, _) = Parse();
        Assert.True(ok);
        Assert.Equal(100, query.Limit);
        Assert.False(query.Ascending);
    }

    [Fact]
    public void Each_bad_parameter_is_named()
    {
        var (ok, _, errors) = Parse(("path", "../x"), ("kind", "explode"), ("since", "yesterday"), ("limit", "0"),
            ("after", "-1"), ("order", "sideways"), ("colour", "red"));
        Assert.False(ok);
        Assert.Equal(["after", "colour", "kind", "limit", "order", "path", "since"], errors.Keys.Order());
    }
}

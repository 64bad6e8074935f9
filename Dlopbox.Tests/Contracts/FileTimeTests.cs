using System.Text.Json;
using Dlopbox.Contracts;

namespace Dlopbox.Tests.Contracts;

public class FileTimeTests
{
    [Fact]
    public void Nanoseconds_survive_the_wire()
    {
        var time = new FileTime(1_764_617_780, 123_456_789);
        Assert.Equal("2025-12-01T19:36:20.123456789Z", time.ToString());
        var json = JsonSerializer.Serialize(FileChange.Write("f", 1, time, new string('0', 64)), DlopboxJsonContext.Default.FileChange);
        Assert.Contains("\"mtime\":\"2025-12-01T19:36:20.123456789Z\"", json, StringComparison.Ordinal);
        Assert.Equal(time, JsonSerializer.Deserialize(json, DlopboxJsonContext.Default.FileChange)!.Mtime);
    }

    [Theory]
    [InlineData("2025-12-01T19:36:20Z", 0)]
    [InlineData("2025-12-01T19:36:20.1Z", 100_000_000)]
    [InlineData("2025-12-01T19:36:20.1234567+00:00", 123_456_700)]
    [InlineData("2025-12-01T20:36:20.123456789123+01:00", 123_456_789)]
    public void Shorter_and_longer_fractions_and_offsets_are_read(string text, int nanoseconds)
    {
        Assert.True(FileTime.TryParse(text, out var time));
        Assert.Equal(1_764_617_780, time.Seconds);
        Assert.Equal(nanoseconds, time.Nanoseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2025-12-01")]
    [InlineData("2025-12-01T19:36:20")]
    [InlineData("2025-12-01T19:36:20.Z")]
    [InlineData("yesterday at noon, roughly")]
    public void Malformed_times_are_refused(string text) => Assert.False(FileTime.TryParse(text, out _));

    [Fact]
    public void Times_before_the_epoch_and_the_100_ns_conversion_are_exact()
    {
        var before = FileTime.FromDateTimeOffset(new DateTimeOffset(1969, 12, 31, 23, 59, 59, 500, TimeSpan.Zero));
        Assert.Equal(new FileTime(-1, 500_000_000), before);
        Assert.Equal("1969-12-31T23:59:59.500000000Z", before.ToString());
        var now = new DateTimeOffset(2026, 12, 1, 1, 2, 3, TimeSpan.Zero).AddTicks(1234567);
        Assert.Equal(now, ((FileTime)now).ToDateTimeOffset());
        Assert.True(new FileTime(5, 1) > new FileTime(5, 0));
        Assert.True(new FileTime(4, 999_999_999) < new FileTime(5, 0));
    }
}

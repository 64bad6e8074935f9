using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Time.Testing;

namespace Dlopbox.Tests.Retry;

public class OutageLogTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Only_the_failure_that_starts_an_outage_and_the_success_that_ends_it_are_told()
    {
        var outage = new OutageLog(_time);

        Assert.True(outage.Failed());
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(outage.Failed());
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(outage.Failed());
        Assert.True(outage.IsOngoing);

        Assert.Equal(new OutageEnded(TimeSpan.FromSeconds(7), FailedAttempts: 3), outage.Succeeded());
        Assert.False(outage.IsOngoing);
        Assert.Null(outage.Succeeded());
    }

    [Fact]
    public void Successes_without_an_outage_tell_nothing()
    {
        var outage = new OutageLog(_time);

        Assert.Null(outage.Succeeded());
        Assert.Null(outage.Succeeded());
        Assert.False(outage.IsOngoing);
    }

    [Fact]
    public void The_next_outage_is_told_again_and_counted_from_its_own_start()
    {
        var outage = new OutageLog(_time);
        outage.Failed();
        outage.Failed();
        _time.Advance(TimeSpan.FromMinutes(1));
        outage.Succeeded();
        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.True(outage.Failed());
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(new OutageEnded(TimeSpan.FromSeconds(2), FailedAttempts: 1), outage.Succeeded());
    }

    [Fact]
    public void An_outage_started_elsewhere_tells_no_failure_but_does_tell_its_end()
    {
        var outage = new OutageLog(_time);

        outage.StartedElsewhere();
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(outage.Failed());
        outage.StartedElsewhere();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(new OutageEnded(TimeSpan.FromSeconds(2), FailedAttempts: 1), outage.Succeeded());
    }

    [Fact]
    public void Of_many_attempts_failing_at_once_one_starts_the_outage_and_of_many_succeeding_one_ends_it()
    {
        var outage = new OutageLog(_time);
        var started = 0;
        var ended = new System.Collections.Concurrent.ConcurrentBag<OutageEnded>();

        Parallel.For(0, 1000, _ =>
        {
            if (outage.Failed())
                Interlocked.Increment(ref started);
        });
        Parallel.For(0, 1000, _ =>
        {
            if (outage.Succeeded() is { } end)
                ended.Add(end);
        });

        Assert.Equal(1, started);
        Assert.Equal(1000, Assert.Single(ended).FailedAttempts);
    }
}

using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Time.Testing;

namespace Dlopbox.Tests.Retry;

public class BackoffTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    private readonly FakeTimeProvider _time = new();

    /// <summary>Waits once, asserting on the fake clock that the wait lasts exactly <paramref name="expected"/>.</summary>
    private async Task WaitsAsync(Backoff backoff, TimeSpan expected)
    {
        Assert.Equal(expected, backoff.NextDelay);
        var wait = backoff.WaitAsync(CancellationToken.None);
        _time.Advance(expected - Tick);
        Assert.False(wait.IsCompleted, $"the wait of {expected} ended early");
        _time.Advance(Tick);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Each_wait_doubles_the_last_up_to_the_cap_and_stays_there()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), _time);

        foreach (var ms in new[] { 200, 400, 800, 1600, 3200, 5000, 5000, 5000 })
            await WaitsAsync(backoff, TimeSpan.FromMilliseconds(ms));
    }

    [Fact]
    public async Task A_cap_between_two_doublings_is_reached_not_passed()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250), _time);

        foreach (var ms in new[] { 100, 200, 250, 250 })
            await WaitsAsync(backoff, TimeSpan.FromMilliseconds(ms));
    }

    [Fact]
    public async Task Reset_after_a_success_starts_again_from_the_first_delay()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5), _time);
        await WaitsAsync(backoff, TimeSpan.FromMilliseconds(500));
        await WaitsAsync(backoff, TimeSpan.FromSeconds(1));
        await WaitsAsync(backoff, TimeSpan.FromSeconds(2));

        backoff.Reset();

        await WaitsAsync(backoff, TimeSpan.FromMilliseconds(500));
        await WaitsAsync(backoff, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_cancelled_wait_ends_at_once_and_the_next_waits_as_long()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), _time);
        using var cancel = new CancellationTokenSource();
        var wait = backoff.WaitAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.NextDelay);
    }

    [Fact]
    public void A_cap_below_the_first_delay_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1), _time));
    }
}

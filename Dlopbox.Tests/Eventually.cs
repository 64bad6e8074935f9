using System.Diagnostics;

namespace Dlopbox.Tests;

/// <summary>The tests' one wait loop: polls a condition until it holds, failing with what was awaited once the deadline passes.</summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, what);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
                Assert.Fail($"Not within {timeout.TotalSeconds:0} s: {what}");
            await Task.Delay(PollInterval);
        }
    }
}

using System.Diagnostics;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Integration;

public static class TreeAssert
{
    /// <summary>Polls until the trees are equal (see <see cref="TreeComparison"/>); never sleeps for a fixed time to assert.</summary>
    public static async Task ConvergesAsync(string master, string replica, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        List<string> differences;
        while (true)
        {
            differences = TreeComparison.Diff(master, replica);
            if (differences.Count == 0)
                return;
            if (clock.Elapsed > timeout)
                break;
            await Task.Delay(50);
        }
        Assert.Fail($"The replica did not converge within {timeout.TotalSeconds:0} s; {differences.Count} differences:\n"
            + string.Join('\n', differences.Take(30)));
    }
}

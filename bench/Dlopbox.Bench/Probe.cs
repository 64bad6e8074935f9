using System.Diagnostics;
using Dlopbox.Embedded;

namespace Dlopbox.Bench;

/// <summary>
/// How the bench sees a replica arrive, the same for dlopbox and every reference tool: every tool writes a
/// temp file and renames it into place, so the final name with the full size means complete content.
/// </summary>
public static class Probe
{
    /// <summary>
    /// Milliseconds from <paramref name="closed"/> until <paramref name="path"/> holds <paramref name="expected"/>.
    /// For the first 50 ms it polls with <c>sched_yield</c> (sub-ms resolution, but it gives the core away whenever a
    /// service wants it, which on 2 cores matters); after that with 1 ms sleeps.
    /// </summary>
    public static double WaitForFile(string path, byte[] expected, long closed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var spinUntil = closed + Stopwatch.Frequency / 20;
        var deadline = closed + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length == expected.Length)
            {
                var arrived = Stopwatch.GetElapsedTime(closed).TotalMilliseconds;
                try
                {
                    if (File.ReadAllBytes(path).AsSpan().SequenceEqual(expected))
                        return arrived;
                }
                catch (IOException)
                {
                    // Replaced while we read it: look again.
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            var now = Stopwatch.GetTimestamp();
            if (now > deadline)
                throw new TimeoutException($"{path} did not arrive within {timeout.TotalSeconds:0} s");
            if (now < spinUntil)
                Thread.Yield();
            else
                Thread.Sleep(1);
        }
    }

    /// <summary>Seconds from <paramref name="start"/> until a file at <paramref name="path"/> has <paramref name="size"/> bytes.</summary>
    public static double WaitForSize(string path, long size, long start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = start + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length == size)
                return Stopwatch.GetElapsedTime(start).TotalSeconds;
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"{path} did not reach {size} bytes within {timeout.TotalSeconds:0} s");
            Thread.Sleep(2);
        }
    }

    /// <summary>
    /// Seconds from <paramref name="start"/> until every replica's tree equals the master's. It polls names and sizes
    /// only, pausing 4× what a poll cost (at least 25 ms) so the probe takes at most ~20 % of one core from the system
    /// it measures; the time is taken at the first equal poll. Replicas are polled one after another (one that has
    /// converged stays so, and polling one at a time is cheaper); then one untimed full content check of each must
    /// agree, or that replica is polled again and the time moves on.
    /// </summary>
    public static async Task<double> WaitConvergedAsync(string master, IReadOnlyList<string> replicas, long start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = start + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var expected = TreeComparison.Read(master, asMaster: true, hashContent: false);
        var converged = 0.0;
        foreach (var replica in replicas)
            converged = await PollAsync(expected, replica, start, deadline, cancellationToken);

        var expectedContent = TreeComparison.Read(master, asMaster: true, hashContent: true);
        foreach (var replica in replicas)
        {
            while (!Equal(expectedContent, TreeComparison.Read(replica, asMaster: false, hashContent: true)))
            {
                await Task.Delay(25, cancellationToken);
                converged = Math.Max(converged, await PollAsync(expected, replica, start, deadline, cancellationToken));
                if (Stopwatch.GetTimestamp() > deadline)
                    throw new TimeoutException($"{replica}: content differs: {string.Join("; ", TreeComparison.Diff(master, replica).Take(3))}");
            }
        }
        return converged;
    }

    private static async Task<double> PollAsync(SortedDictionary<string, TreeComparison.Node> expected, string replica, long start, long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var pollStart = Stopwatch.GetTimestamp();
            var actual = TreeComparison.Read(replica, asMaster: false, hashContent: false);
            if (Equal(expected, actual))
                return Stopwatch.GetElapsedTime(start).TotalSeconds;
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetTimestamp() > deadline)
            {
                var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).Take(3);
                throw new TimeoutException($"{replica} did not converge in time: {actual.Count} of {expected.Count} entries (missing e.g. {string.Join(", ", missing)})");
            }
            var cost = Stopwatch.GetElapsedTime(pollStart);
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(25, 4 * cost.TotalMilliseconds)), cancellationToken);
        }
    }

    private static bool Equal(SortedDictionary<string, TreeComparison.Node> expected, SortedDictionary<string, TreeComparison.Node> actual) =>
        expected.Count == actual.Count && expected.All(e => actual.TryGetValue(e.Key, out var node) && node == e.Value);
}

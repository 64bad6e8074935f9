using System.Diagnostics;
using Dlopbox.Embedded;

namespace Dlopbox.Bench;

/// <summary>The measured workloads. Each waits for the replica by polling it, and ends with a whole-tree comparison.</summary>
public sealed class Workloads(string master, string replica, BenchSettings settings)
{
    /// <summary>Small files written one at a time: close on the master → complete, verified bytes on the replica.</summary>
    public async Task<BenchRow> LatencyAsync()
    {
        Directory.CreateDirectory(Path.Combine(master, "latency"));
        await ConvergeAsync();
        var random = new Random(42);
        var samples = new List<double>();
        for (var i = 0; i < settings.LatencyFiles; i++)
        {
            var content = new byte[1024];
            random.NextBytes(content);
            var relative = Path.Combine("latency", $"f{i}.bin");
            await File.WriteAllBytesAsync(Path.Combine(master, relative), content);
            var closed = Stopwatch.GetTimestamp();
            await WaitForFileAsync(Path.Combine(replica, relative), content);
            samples.Add(Stopwatch.GetElapsedTime(closed).TotalMilliseconds);
            // Random gaps so no batching or timer phase-locks with the writer.
            await Task.Delay(random.Next(20, 120));
        }
        await ConvergeAsync();
        samples.Sort();
        return new BenchRow($"latency, {settings.LatencyFiles} × 1 KiB one at a time", "p50 / p95 / p99 / max",
            $"{Percentile(samples, 50):0.0} / {Percentile(samples, 95):0.0} / {Percentile(samples, 99):0.0} / {samples[^1]:0.0} ms");
    }

    /// <summary>Many small files written as fast as possible; time until the whole replica equals the master.</summary>
    public async Task<BenchRow> BurstAsync()
    {
        var random = new Random(7);
        var start = Stopwatch.GetTimestamp();
        for (var d = 0; d < settings.BurstDirs; d++)
        {
            var dir = Path.Combine(master, "burst", $"d{d}");
            Directory.CreateDirectory(dir);
            for (var f = 0; f < settings.BurstFiles / settings.BurstDirs; f++)
            {
                var bytes = new byte[random.Next(1024, 16 * 1024)];
                random.NextBytes(bytes);
                await File.WriteAllBytesAsync(Path.Combine(dir, $"f{f}.bin"), bytes);
            }
        }
        var written = Stopwatch.GetElapsedTime(start);
        await ConvergeAsync();
        var converged = Stopwatch.GetElapsedTime(start);
        return new BenchRow($"burst, {settings.BurstFiles} × 1–16 KiB in {settings.BurstDirs} dirs", "converged (written in)",
            $"{converged.TotalSeconds:0.00} s ({written.TotalSeconds:0.00} s)");
    }

    /// <summary><c>mv</c> of a dir holding many files: one rename on the replica, not a download per file.</summary>
    public async Task<BenchRow> RenameAsync()
    {
        var dir = Path.Combine(master, "rename-src");
        Directory.CreateDirectory(dir);
        for (var f = 0; f < settings.RenameFiles; f++)
            await File.WriteAllTextAsync(Path.Combine(dir, $"f{f}.txt"), f.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await ConvergeAsync();
        var start = Stopwatch.GetTimestamp();
        Directory.Move(dir, Path.Combine(master, "rename-dst"));
        await ConvergeAsync();
        return new BenchRow($"rename of a dir of {settings.RenameFiles} files", "converged",
            $"{Stopwatch.GetElapsedTime(start).TotalMilliseconds:0} ms");
    }

    private async Task WaitForFileAsync(string path, byte[] expected)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                if (new FileInfo(path) is { Exists: true } info && info.Length == expected.Length
                    && (await File.ReadAllBytesAsync(path)).AsSpan().SequenceEqual(expected))
                    return;
            }
            catch (IOException)
            {
                // Being renamed into place.
            }
            // Spin briefly rather than sleep: Task.Delay's ~1 ms floor would dominate a few-ms latency.
            Thread.SpinWait(2000);
            await Task.Yield();
        }
        throw new TimeoutException($"{path} did not arrive");
    }

    /// <summary>Polls names and sizes (cheap), then checks every byte once; a content difference polls again.</summary>
    private async Task ConvergeAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var differences = TreeComparison.Diff(master, replica, compareContent: false);
            if (differences.Count == 0)
            {
                differences = TreeComparison.Diff(master, replica);
                if (differences.Count == 0)
                    return;
            }
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"replica did not converge: {string.Join("; ", differences.Take(5))}");
            await Task.Delay(10);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using Dlopbox.Embedded;
using static Dlopbox.Bench.Stats;

namespace Dlopbox.Bench;

/// <summary>
/// The measured workloads. Each repetition runs dlopbox first, then the reference tools on the same data on the
/// same disk (under <c>ref/</c> beside the master), and removes its data again so the next one starts from an
/// empty, converged master. Ratios are taken pair by pair (see <see cref="Stats.PairedRatio"/>).
/// </summary>
public sealed class Workloads(EmbeddedSystem system, string root, BenchSettings settings, IReadOnlySet<string> tools, CancellationToken cancellationToken)
{
    private readonly string _master = system.Options.MasterDir;
    private readonly string _reference = Path.Combine(root, "ref");
    private readonly List<string> _replicas = [.. system.Options.ReplicaDirs];

    private string Replica => _replicas[0];

    private bool Has(string tool) => tools.Contains(tool);

    /// <summary>Where the reference tools write, beside the master (same disk); removed after each repetition.</summary>
    private string ReferenceDir(string name) => Directory.CreateDirectory(Path.Combine(_reference, name)).FullName;

    private static string Missing(string tool) => $"{tool}: not installed";

    /// <summary>1 KiB files written one at a time (write + close); close → complete, verified bytes in the replica.</summary>
    public async Task<BenchRow> LatencyAsync()
    {
        var dlopbox = new List<double[]>();
        var lsyncd = new List<double[]>();
        for (var rep = 0; rep < settings.Reps; rep++)
        {
            var sub = $"latency-{rep}";
            Directory.CreateDirectory(Path.Combine(_master, sub));
            await SettleAsync();
            dlopbox.Add(MeasureLatency(Path.Combine(_master, sub), Path.Combine(Replica, sub), seed: rep));
            if (Has("lsyncd"))
            {
                var (source, target) = ReferencePair(sub);
                await using (await Lsyncd.StartAsync(source, target, Path.Combine(_reference, sub + "-run"), cancellationToken))
                    lsyncd.Add(MeasureLatency(source, target, seed: rep));
            }
            await RemoveAsync(sub);
        }
        double[] Column(List<double[]> reps, int i) => [.. reps.Select(r => r[i])];
        string Describe(List<double[]> reps) => reps.Count == 0
            ? ""
            : $"p50 {F(Median(Column(reps, 0)), "0.0")} / p95 {F(Median(Column(reps, 1)), "0.0")} / p99 {F(Median(Column(reps, 2)), "0.0")} ms";
        var p50 = Median(Column(dlopbox, 0));
        var p99 = Median(Column(dlopbox, 2));
        return new BenchRow(
            $"1. latency, {settings.LatencyFiles} × 1 KiB one at a time",
            Describe(dlopbox),
            Has("lsyncd") ? "lsyncd (rsync, delay = 0): " + Describe(lsyncd) : Missing("lsyncd"),
            Has("lsyncd") ? $"p50 {F(PairedRatio(Column(dlopbox, 0), Column(lsyncd, 0)), "0.00")}×, p99 {F(PairedRatio(Column(dlopbox, 2), Column(lsyncd, 2)), "0.00")}× lsyncd" : "",
            "p50 ≤ 8 ms, p99 ≤ 30 ms",
            p50 <= 8 && p99 <= 30)
        {
            Samples =
            {
                ["dlopbox p50 ms"] = Column(dlopbox, 0).ToList(), ["dlopbox p95 ms"] = Column(dlopbox, 1).ToList(), ["dlopbox p99 ms"] = Column(dlopbox, 2).ToList(),
                ["lsyncd p50 ms"] = Column(lsyncd, 0).ToList(), ["lsyncd p95 ms"] = Column(lsyncd, 1).ToList(), ["lsyncd p99 ms"] = Column(lsyncd, 2).ToList(),
            },
        };
    }

    /// <returns>p50, p95, p99 in ms.</returns>
    private double[] MeasureLatency(string source, string target, int seed)
    {
        var random = new Random(1000 + seed);
        var samples = new List<double>();
        for (var i = 0; i < settings.LatencyFiles; i++)
        {
            var content = new byte[1024];
            random.NextBytes(content);
            var name = $"f{i}.bin";
            File.WriteAllBytes(Path.Combine(source, name), content);
            var closed = Stopwatch.GetTimestamp();
            samples.Add(Probe.WaitForFile(Path.Combine(target, name), content, closed, settings.Timeout, cancellationToken));
            // Random gaps, so no batching window or timer of either tool phase-locks with the writer.
            Thread.Sleep(random.Next(20, 150));
        }
        return [Percentile(samples, 50), Percentile(samples, 95), Percentile(samples, 99)];
    }

    /// <summary>The 1–16 KiB files of the burst, the same bytes for every tool and repetition.</summary>
    private List<(string Path, byte[] Bytes)> BurstFiles()
    {
        var random = new Random(7);
        var files = new List<(string, byte[])>(settings.BurstFiles);
        for (var f = 0; f < settings.BurstFiles; f++)
        {
            var bytes = new byte[random.Next(1024, 16 * 1024 + 1)];
            random.NextBytes(bytes);
            files.Add(($"d{f % settings.BurstDirs}/f{f}.bin", bytes));
        }
        return files;
    }

    private static void WriteFiles(string dir, List<(string Path, byte[] Bytes)> files)
    {
        foreach (var (relative, bytes) in files)
        {
            var path = Path.Combine(dir, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
    }

    /// <summary>Small files written as fast as possible; first write → the replica equals the master.</summary>
    public async Task<IReadOnlyList<BenchRow>> BurstAsync(MemoryWatch memory)
    {
        var files = BurstFiles();
        List<double> dlopbox = [], written = [], rsync = [], lsyncd = [];
        for (var rep = 0; rep < settings.Reps; rep++)
        {
            var sub = $"burst-{rep}";
            memory.Reset();
            var start = Stopwatch.GetTimestamp();
            WriteFiles(Path.Combine(_master, sub), files);
            written.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            dlopbox.Add(await Probe.WaitConvergedAsync(Path.Combine(_master, sub), [Path.Combine(Replica, sub)], start, settings.Timeout, cancellationToken));
            memory.Read("burst");

            if (Has("rsync"))
                rsync.Add(await ExternalTools.TimeAsync("rsync", ["-a", Path.Combine(_master, sub) + "/", ReferenceDir(sub + "-rsync") + "/"], cancellationToken));
            if (Has("lsyncd"))
            {
                var (source, target) = ReferencePair(sub);
                await using (await Lsyncd.StartAsync(source, target, Path.Combine(_reference, sub + "-run"), cancellationToken))
                {
                    var lsyncdStart = Stopwatch.GetTimestamp();
                    WriteFiles(source, files);
                    lsyncd.Add(await Probe.WaitConvergedAsync(source, [target], lsyncdStart, settings.Timeout, cancellationToken));
                }
            }
            await RemoveAsync(sub);
        }
        var ratio = PairedRatio(dlopbox, rsync);
        return
        [
            new BenchRow(
                $"2. burst, {settings.BurstFiles:N0} × 1–16 KiB in {settings.BurstDirs} dirs (first write → equal)",
                $"{Seconds(Median(dlopbox))} (written in {Seconds(Median(written))})",
                string.Join("; ", [Has("rsync") ? $"rsync -a {Seconds(Median(rsync))}" : Missing("rsync"), Has("lsyncd") ? $"lsyncd {Seconds(Median(lsyncd))}" : Missing("lsyncd")]),
                Has("rsync") ? $"{F(ratio, "0.00")}× rsync" + (Has("lsyncd") ? $", {F(PairedRatio(dlopbox, lsyncd), "0.00")}× lsyncd" : "") : "",
                "≤ 2 × rsync -a",
                Has("rsync") ? ratio <= 2 : null)
            {
                Samples = { ["dlopbox s"] = dlopbox, ["written s"] = written, ["rsync s"] = rsync, ["lsyncd s"] = lsyncd },
            },
        ];
    }

    /// <summary>The SDK's own install dir, copied into the master with <c>cp -a</c>; start of the copy → equal.</summary>
    public async Task<BenchRow> RealTreeAsync(MemoryWatch memory)
    {
        var dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var source = Path.TrimEndingDirectorySeparator(Path.Combine(dotnetRoot, settings.RealTreeSubdir));
        var tree = TreeComparison.Read(source, asMaster: true, hashContent: false);
        var fileCount = tree.Values.Count(n => !n.IsDir);
        var bytes = tree.Values.Sum(n => n.Size);
        List<double> dlopbox = [], copied = [], rsync = [];
        for (var rep = 0; rep < settings.Reps; rep++)
        {
            var sub = $"real-{rep}";
            memory.Reset();
            var start = Stopwatch.GetTimestamp();
            copied.Add(await ExternalTools.TimeAsync("cp", ["-a", source, Path.Combine(_master, sub)], cancellationToken));
            dlopbox.Add(await Probe.WaitConvergedAsync(Path.Combine(_master, sub), [Path.Combine(Replica, sub)], start, settings.Timeout, cancellationToken));
            memory.Read("real tree");
            if (Has("rsync"))
                rsync.Add(await ExternalTools.TimeAsync("rsync", ["-a", Path.Combine(_master, sub) + "/", ReferenceDir(sub + "-rsync") + "/"], cancellationToken));
            await RemoveAsync(sub);
        }
        var ratio = PairedRatio(dlopbox, rsync);
        return new BenchRow(
            $"3. real tree: {source} ({fileCount:N0} files, {tree.Values.Count(n => n.IsDir):N0} dirs, {Mib(bytes)}; start of cp → equal)",
            $"{Seconds(Median(dlopbox))} (cp -a into the master {Seconds(Median(copied))})",
            Has("rsync") ? $"rsync -a {Seconds(Median(rsync))}" : Missing("rsync"),
            Has("rsync") ? $"{F(ratio, "0.00")}× rsync" : "",
            "≤ 2 × rsync -a",
            Has("rsync") ? ratio <= 2 : null)
        {
            Samples = { ["dlopbox s"] = dlopbox, ["cp s"] = copied, ["rsync s"] = rsync },
        };
    }

    /// <summary>One large file: close on the master → the full file under its final name in the replica.</summary>
    public async Task<BenchRow> LargeFileAsync()
    {
        var size = settings.LargeFileBytes;
        var chunk = new byte[(int)Math.Min(size, 64 << 20)];
        new Random(11).NextBytes(chunk);
        List<double> dlopbox = [], curl = [], cp = [];
        for (var rep = 0; rep < settings.Reps; rep++)
        {
            var sub = $"large-{rep}";
            Directory.CreateDirectory(Path.Combine(_master, sub));
            await SettleAsync();
            var file = Path.Combine(_master, sub, "large.bin");
            await using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                for (long written = 0; written < size; written += chunk.Length)
                    await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - written)), cancellationToken);
            }
            var closed = Stopwatch.GetTimestamp();
            dlopbox.Add(size / Probe.WaitForSize(Path.Combine(Replica, sub, "large.bin"), size, closed, settings.Timeout, cancellationToken));
            // Untimed: every byte must match too.
            await Probe.WaitConvergedAsync(Path.Combine(_master, sub), [Path.Combine(Replica, sub)], Stopwatch.GetTimestamp(), settings.Timeout, cancellationToken);

            var target = ReferenceDir(sub);
            if (Has("curl"))
            {
                curl.Add(size / await ExternalTools.TimeAsync("curl", ["-sS", "-f", "-o", Path.Combine(target, "curl.bin"), $"{system.Files.BaseUrl}/files/{sub}/large.bin"], cancellationToken));
                File.Delete(Path.Combine(target, "curl.bin"));
            }
            cp.Add(size / await ExternalTools.TimeAsync("cp", [file, Path.Combine(target, "cp.bin")], cancellationToken));
            await RemoveAsync(sub);
        }
        string Rate(double bytesPerSecond) => F(bytesPerSecond / (1 << 20), "0") + " MiB/s";
        var ratio = PairedRatio(dlopbox, curl);
        return new BenchRow(
            $"4. large file, {Mib(size)} (close → complete in the replica)",
            Rate(Median(dlopbox)),
            $"{(Has("curl") ? $"curl from the same nginx {Rate(Median(curl))}" : Missing("curl"))}; cp {Rate(Median(cp))}",
            Has("curl") ? $"{F(ratio * 100, "0")} % of curl, {F(PairedRatio(dlopbox, cp) * 100, "0")} % of cp" : "",
            "≥ 70 % of curl",
            Has("curl") ? ratio >= 0.7 : null)
        {
            Samples = { ["dlopbox B/s"] = dlopbox, ["curl B/s"] = curl, ["cp B/s"] = cp },
        };
    }

    /// <summary><c>mv</c> of a dir of many files: one local rename on the replica, nothing downloaded.</summary>
    public async Task<BenchRow> RenameAsync()
    {
        List<double> dlopbox = [], downloaded = [];
        for (var rep = 0; rep < settings.Reps; rep++)
        {
            var from = $"rename-{rep}-a";
            var to = $"rename-{rep}-b";
            Directory.CreateDirectory(Path.Combine(_master, from));
            for (var f = 0; f < settings.RenameFiles; f++)
                File.WriteAllText(Path.Combine(_master, from, $"f{f}.txt"), f.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await SettleAsync();
            var requestsBefore = system.Files.ReadAccessLog().Count;
            var start = Stopwatch.GetTimestamp();
            Directory.Move(Path.Combine(_master, from), Path.Combine(_master, to));
            dlopbox.Add(await Probe.WaitConvergedAsync(_master, [Replica], start, settings.Timeout, cancellationToken));
            downloaded.Add(system.Files.ReadAccessLog().Skip(requestsBefore).Where(r => r.FilePath is not null).Sum(r => r.BytesSent));
            await RemoveAsync(to);
        }
        return new BenchRow(
            $"5. rename: mv of a dir of {settings.RenameFiles:N0} files",
            $"{F(Median(dlopbox) * 1000, "0")} ms, {F(downloaded.Max(), "0")} bytes downloaded",
            "",
            "",
            "≤ 1 s, 0 bytes",
            Median(dlopbox) <= 1 && downloaded.Max() == 0)
        {
            Samples = { ["dlopbox s"] = dlopbox, ["downloaded bytes"] = downloaded },
        };
    }

    /// <summary>The burst of workload 2 with more and more clients; first write → every replica equals the master.</summary>
    public async Task<IReadOnlyList<BenchRow>> FanOutAsync()
    {
        var files = BurstFiles();
        var times = new Dictionary<int, List<double>>();
        foreach (var clients in settings.FanOutClients)
        {
            // Added clients start from a snapshot of the (empty) master, then follow the stream like the first.
            while (_replicas.Count < clients)
            {
                var replica = Path.Combine(root, $"replica-{_replicas.Count + 1}");
                await system.AddClientAsync(replica, cancellationToken);
                _replicas.Add(replica);
            }
            await SettleAsync();
            var replicas = _replicas.Take(clients).ToList();
            times[clients] = [];
            for (var rep = 0; rep < settings.Reps; rep++)
            {
                var sub = $"fanout-{clients}-{rep}";
                var start = Stopwatch.GetTimestamp();
                WriteFiles(Path.Combine(_master, sub), files);
                times[clients].Add(await Probe.WaitConvergedAsync(Path.Combine(_master, sub), [.. replicas.Select(r => Path.Combine(r, sub))], start, settings.Timeout, cancellationToken));
                await RemoveAsync(sub);
            }
        }
        var one = times[settings.FanOutClients[0]];
        var most = settings.FanOutClients[^1];
        return [.. settings.FanOutClients.Select(clients =>
        {
            var ratio = PairedRatio(times[clients], one);
            var isTarget = clients == most && clients > 1;
            return new BenchRow(
                $"6. fan-out: burst of 2 with {clients} client{(clients == 1 ? "" : "s")} (first write → all equal)",
                Seconds(Median(times[clients])),
                "",
                clients == settings.FanOutClients[0] ? "" : $"{F(ratio, "0.00")}× {settings.FanOutClients[0]} client",
                isTarget ? $"{clients} clients ≤ 1.5 × 1" : "",
                isTarget ? ratio <= 1.5 : null)
            {
                Samples = { [$"{clients} clients s"] = times[clients] },
            };
        })];
    }

    private (string Source, string Target) ReferencePair(string sub)
    {
        var source = Path.Combine(_reference, sub + "-src");
        var target = Path.Combine(_reference, sub + "-dst");
        return (source, target);
    }

    /// <summary>Deletes a workload's data from the master and the references, and waits (untimed) until every replica followed.</summary>
    private async Task RemoveAsync(string sub)
    {
        var path = Path.Combine(_master, sub);
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
        if (Directory.Exists(_reference))
            Directory.Delete(_reference, recursive: true);
        await SettleAsync();
    }

    /// <summary>Waits, untimed, until every replica equals the master.</summary>
    public Task SettleAsync() => Probe.WaitConvergedAsync(_master, _replicas, Stopwatch.GetTimestamp(), settings.Timeout, cancellationToken);

    /// <summary>Empties the master after a failed workload, so the next one starts clean.</summary>
    public async Task ResetAsync()
    {
        foreach (var entry in new DirectoryInfo(_master).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo dir)
                dir.Delete(recursive: true);
            else
                entry.Delete();
        }
        if (Directory.Exists(_reference))
            Directory.Delete(_reference, recursive: true);
        await SettleAsync();
    }
}

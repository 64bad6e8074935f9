using System.Diagnostics;
using System.Runtime.InteropServices;
using Dlopbox.Bench;
using Dlopbox.Embedded;

// dotnet run -c Release --project bench/Dlopbox.Bench [-- --smoke] [--only NAME[,NAME]] [--reps N] [--out DIR] [--no-install] [--keep]
var smoke = args.Contains("--smoke");
var settings = smoke ? BenchSettings.Smoke : BenchSettings.Full;
if (Option("--reps") is { } reps)
    settings = settings with { Reps = int.Parse(reps, System.Globalization.CultureInfo.InvariantCulture) };
string[] names = ["latency", "burst", "realtree", "large", "rename", "fanout", "memory"];
var only = Option("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? names;
if (only.Except(names).ToList() is { Count: > 0 } unknown)
{
    Console.Error.WriteLine($"unknown workload {string.Join(", ", unknown)}; one of {string.Join(", ", names)}");
    return 2;
}
bool Runs(string name) => only.Contains(name) || (name is "burst" or "realtree" && only.Contains("memory"));
var outDir = Option("--out") ?? Path.Combine(RepoLayout.Root, "bench", "results");

// Ctrl-C and SIGTERM cancel the run; the finally blocks below then stop every process it started.
using var cancel = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var root = Path.Combine(Path.GetTempPath(), "dlopbox-bench-" + Guid.NewGuid().ToString("N")[..8]);
var started = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
var machine = Machine.Describe(Path.GetTempPath());
Console.WriteLine($"dlopbox bench — {settings.Size} size, {settings.Reps} repetition(s), {started}");
foreach (var line in machine)
    Console.WriteLine("  " + line);
if (smoke)
    Console.WriteLine("  smoke size (CI): the figures are not meaningful");

var tools = ExternalTools.Ensure(install: !args.Contains("--no-install"));
var notes = new List<string>
{
    "Every figure is the median of the repetitions; ratios are medians of per-repetition ratios (dlopbox, then the reference, on the same data).",
    "Services: Release build, embedded (private RabbitMQ node, nginx, Interface, Watcher, Client as local processes), default settings.",
    "Convergence: names and sizes polled every max(25 ms, 4 × poll cost), then one untimed full content check; latency: stat polled with sched_yield for 50 ms, then every 1 ms.",
    "lsyncd: default.rsync, delay = 0 (its smallest), archive = true, measured after its \"Startup of … finished\".",
    $"Reference tools found: {(tools.Count == 0 ? "none" : string.Join(", ", tools))}.",
};
var rows = new List<BenchRow>();
var failed = false;
var clock = Stopwatch.StartNew();
try
{
    await using var system = await EmbeddedSystem.StartAsync(new EmbeddedSystemOptions
    {
        MasterDir = Path.Combine(root, "master"),
        ReplicaDirs = [Path.Combine(root, "replica-1")],
        StateDir = Path.Combine(root, "state"),
    }, cancel.Token);
    Console.WriteLine($"system ready in {clock.Elapsed.TotalSeconds:0.0} s");
    var workloads = new Workloads(system, root, settings, tools, cancel.Token);
    var memory = new MemoryWatch(system);
    (string Name, Func<Task<IEnumerable<BenchRow>>> Run)[] plan =
    [
        ("latency", async () => [await workloads.LatencyAsync()]),
        ("burst", async () => await workloads.BurstAsync(memory)),
        ("realtree", async () => [await workloads.RealTreeAsync(memory)]),
        ("large", async () => [await workloads.LargeFileAsync()]),
        ("rename", async () => [await workloads.RenameAsync()]),
        // Last: it adds clients, which would otherwise share the CPU with every later workload.
        ("fanout", async () => await workloads.FanOutAsync()),
    ];
    foreach (var (name, run) in plan.Where(p => Runs(p.Name)))
    {
        var workloadClock = Stopwatch.StartNew();
        Console.WriteLine($"{name}: running (load average {Machine.LoadAverage()})");
        try
        {
            var result = (await run()).ToList();
            rows.AddRange(result);
            foreach (var row in result)
                Console.WriteLine($"  {row.Workload}: {row.Dlopbox} | {row.Reference} | {row.Ratio}");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException)
        {
            failed = true;
            rows.Add(new BenchRow(name, "failed: " + e.Message.ReplaceLineEndings(" "), "", "", "", false));
            Console.WriteLine($"  {name} failed: {e}");
            await workloads.ResetAsync();
        }
        Console.WriteLine($"{name}: {workloadClock.Elapsed.TotalSeconds:0} s");
    }
    if (memory.Row() is { } memoryRow)
        rows.Add(memoryRow);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.WriteLine("cancelled; stopping everything the bench started");
    failed = true;
}
finally
{
    // Only our own temp tree; the system above is disposed (every process stopped) by now. --keep leaves the
    // services' logs (state/logs, timestamped per line) for profiling a missed target.
    if (args.Contains("--keep"))
        Console.WriteLine($"kept {root}");
    else if (Directory.Exists(root))
        Directory.Delete(root, recursive: true);
}

notes.Add($"Load average at the end: {Machine.LoadAverage()}; whole run {clock.Elapsed.TotalMinutes:0.0} min.");
if (rows.Count > 0)
{
    Console.WriteLine();
    Console.Write(BenchTable.Markdown(rows));
    var written = BenchTable.Write(new BenchReport(started, settings.Size, settings.Reps, machine, notes, rows), outDir, alsoLatest: !smoke && !failed && only.Length == names.Length);
    Console.WriteLine();
    foreach (var path in written)
        Console.WriteLine("wrote " + path);
}
return failed ? 1 : 0;

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}

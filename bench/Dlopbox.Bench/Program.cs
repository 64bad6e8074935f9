using System.Diagnostics;
using Dlopbox.Bench;
using Dlopbox.Embedded;

// dotnet run -c Release --project bench/Dlopbox.Bench [-- --smoke]
var smoke = args.Contains("--smoke");
var settings = smoke ? BenchSettings.Smoke : BenchSettings.Full;

Console.WriteLine($"dlopbox bench — {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {Environment.OSVersion}");
Console.WriteLine(smoke ? "smoke size (CI): figures are not meaningful" : "full size");

var root = Path.Combine(Path.GetTempPath(), "dlopbox-bench-" + Guid.NewGuid().ToString("N")[..8]);
var master = Path.Combine(root, "master");
var replica = Path.Combine(root, "replica");
var clock = Stopwatch.StartNew();
await using (var system = await EmbeddedSystem.StartAsync(new EmbeddedSystemOptions
{
    MasterDir = master,
    ReplicaDirs = [replica],
    StateDir = Path.Combine(root, "state"),
}, CancellationToken.None))
{
    Console.WriteLine($"system ready in {clock.Elapsed.TotalSeconds:0.0} s");
    var workloads = new Workloads(master, replica, settings);
    var rows = new List<BenchRow>
    {
        await workloads.LatencyAsync(),
        await workloads.BurstAsync(),
        await workloads.RenameAsync(),
    };
    BenchTable.Print(rows);
}
Directory.Delete(root, recursive: true);

namespace Dlopbox.Bench;

/// <summary>Sizes of the workloads; the smoke size only proves the bench still runs.</summary>
public sealed record BenchSettings(int LatencyFiles, int BurstFiles, int BurstDirs, int RenameFiles, TimeSpan Timeout)
{
    public static BenchSettings Full { get; } = new(200, 1000, 10, 10_000, TimeSpan.FromMinutes(5));

    public static BenchSettings Smoke { get; } = new(5, 50, 5, 100, TimeSpan.FromMinutes(2));
}

public sealed record BenchRow(string Workload, string Measure, string Value);

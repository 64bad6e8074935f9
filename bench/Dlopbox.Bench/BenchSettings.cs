namespace Dlopbox.Bench;

/// <summary>Sizes of the workloads; the smoke size only proves the bench still runs (CI), its figures mean nothing.</summary>
public sealed record BenchSettings
{
    public required string Size { get; init; }

    /// <summary>Repetitions of each workload; every figure is the median over them.</summary>
    public required int Reps { get; init; }

    public required int LatencyFiles { get; init; }

    public required int BurstFiles { get; init; }

    public required int BurstDirs { get; init; }

    /// <summary>Below the SDK's install dir: the whole dir at full size, a small subdir in the smoke run.</summary>
    public required string RealTreeSubdir { get; init; }

    public required long LargeFileBytes { get; init; }

    public required int RenameFiles { get; init; }

    public required IReadOnlyList<int> FanOutClients { get; init; }

    /// <summary>Past this a workload that has not converged fails the run.</summary>
    public required TimeSpan Timeout { get; init; }

    public static BenchSettings Full { get; } = new()
    {
        Size = "full",
        Reps = 3,
        LatencyFiles = 200,
        BurstFiles = 10_000,
        BurstDirs = 100,
        RealTreeSubdir = "",
        LargeFileBytes = 1L << 30,
        RenameFiles = 10_000,
        FanOutClients = [1, 5, 10],
        Timeout = TimeSpan.FromMinutes(10),
    };

    public static BenchSettings Smoke { get; } = new()
    {
        Size = "smoke",
        Reps = 1,
        LatencyFiles = 5,
        BurstFiles = 40,
        BurstDirs = 4,
        RealTreeSubdir = "sdk-manifests",
        LargeFileBytes = 4L << 20,
        RenameFiles = 50,
        FanOutClients = [1, 2],
        Timeout = TimeSpan.FromMinutes(2),
    };
}

using System.Diagnostics;

namespace Dlopbox.Bench;

/// <summary>What the figures were measured on, for the header of every result.</summary>
public static class Machine
{
    public static IReadOnlyList<string> Describe(string workDir)
    {
        var memory = Field("/proc/meminfo", "MemTotal:");
        var model = Field("/proc/cpuinfo", "model name");
        return
        [
            $"cores: {Environment.ProcessorCount} ({model?.TrimStart(':', ' ') ?? "unknown CPU"})",
            $"memory: {Gib(memory)}",
            $"os: {(Read("/etc/debian_version") is { } debian ? "Debian " + debian : Environment.OSVersion.ToString())}, kernel {Read("/proc/sys/kernel/osrelease")}, .NET {Environment.Version}",
            $"disk: {workDir} ({DriveFormat(workDir)}), same for dlopbox and every reference",
            $"load average at start: {Read("/proc/loadavg")}",
            $"commit: {Git("rev-parse", "--short", "HEAD")}{(Git("status", "--porcelain") is { Length: > 0 } ? " (with local changes)" : "")}",
        ];
    }

    private static string Gib(string? memTotal) => memTotal is null
        ? "unknown"
        : Stats.F(double.Parse(memTotal.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture) / (1 << 20), "0.0") + " GiB";

    public static string LoadAverage() => Read("/proc/loadavg") ?? "unknown";

    private static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    private static string? Field(string path, string prefix) =>
        File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim() : null;

    /// <summary>The filesystem type of the longest mount point above <paramref name="path"/>, from <c>/proc/mounts</c>.</summary>
    private static string DriveFormat(string path)
    {
        if (!File.Exists("/proc/mounts"))
            return "unknown fs";
        var mount = File.ReadLines("/proc/mounts")
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 2 && (path == f[1] || path.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)))
            .MaxBy(f => f[1].Length);
        return mount is null ? "unknown fs" : $"{mount[2]} on {mount[1]}";
    }

    private static string Git(params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Dlopbox.Embedded.RepoLayout.Root };
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

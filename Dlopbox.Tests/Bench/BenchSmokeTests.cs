using System.Diagnostics;
using System.Text;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Bench;

/// <summary>
/// The benchmark at its smoke size, run as the README runs it (its built dll, as a process), so it never rots.
/// Only that it completes, writes its results and leaves nothing running: no timing is asserted, ever.
/// </summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Smoke_run_completes_and_writes_json_and_markdown()
    {
        var root = Path.Combine(Path.GetTempPath(), "dlopbox-benchtest-" + Guid.NewGuid().ToString("N")[..8]);
        var results = Path.Combine(root, "results");
        // The bench works below its temp dir: pointing TMPDIR here makes everything it starts findable afterwards.
        var work = Directory.CreateDirectory(Path.Combine(root, "tmp")).FullName;
        var output = new StringBuilder();
        try
        {
            var start = new ProcessStartInfo("dotnet", [RepoLayout.ServiceAssembly("Dlopbox.Bench"), "--smoke", "--out", results])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["TMPDIR"] = work },
            };
            using var bench = Process.Start(start)!;
            bench.OutputDataReceived += (_, e) => Append(output, e.Data);
            bench.ErrorDataReceived += (_, e) => Append(output, e.Data);
            bench.BeginOutputReadLine();
            bench.BeginErrorReadLine();

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            try
            {
                await bench.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM first: the bench then stops what it started; the finally below kills whatever is left.
                _ = Kill(bench.Id, 15);
                await bench.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
                Assert.Fail("the smoke bench did not finish within 180 s:\n" + output);
            }

            Assert.True(bench.ExitCode == 0, $"exit code {bench.ExitCode}:\n{output}");
            var files = Directory.GetFiles(results);
            Assert.Single(files, f => f.EndsWith(".json", StringComparison.Ordinal));
            Assert.Single(files, f => f.EndsWith(".md", StringComparison.Ordinal));
            // A smoke run never replaces the committed figures of a full run.
            Assert.DoesNotContain(files, f => Path.GetFileName(f).StartsWith("latest", StringComparison.Ordinal));
            Assert.Contains("\"rows\"", await File.ReadAllTextAsync(files.Single(f => f.EndsWith(".json", StringComparison.Ordinal))));
            Assert.Contains("| workload", await File.ReadAllTextAsync(files.Single(f => f.EndsWith(".md", StringComparison.Ordinal))));
            Assert.Contains("cores:", output.ToString());
            Assert.Empty(ProcessesMentioning(work));
        }
        finally
        {
            foreach (var pid in ProcessesMentioning(work))
            {
                try
                {
                    Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
    }

    /// <summary>Every process whose command line or environment names the dir.</summary>
    private static List<int> ProcessesMentioning(string dir)
    {
        var found = new List<int>();
        foreach (var name in Directory.GetDirectories("/proc").Select(Path.GetFileName))
        {
            if (!int.TryParse(name, out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
                var environ = File.ReadAllText($"/proc/{pid}/environ").Replace('\0', ' ');
                if (cmdline.Contains(dir, StringComparison.Ordinal) || environ.Contains(dir, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to read.
            }
        }
        return found;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}

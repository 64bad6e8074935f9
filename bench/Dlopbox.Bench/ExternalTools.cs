using System.Diagnostics;
using Dlopbox.Embedded;

namespace Dlopbox.Bench;

/// <summary>The reference tools (Debian's rsync, lsyncd, curl) and how the bench runs them.</summary>
public static class ExternalTools
{
    public static readonly string[] Packages = ["rsync", "lsyncd", "curl"];

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>Installs the missing ones from the OS packages when we are root; a tool still missing is reported, not fatal.</summary>
    public static IReadOnlySet<string> Ensure(bool install)
    {
        var missing = Packages.Where(p => Find(p) is null).ToList();
        if (missing.Count > 0 && install && Environment.UserName == "root" && Find("apt-get") is not null)
        {
            Console.WriteLine($"installing {string.Join(", ", missing)} (apt-get)");
            if (Run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", .. missing]) != 0)
            {
                Run("apt-get", ["update", "-qq"]);
                Run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", .. missing]);
            }
        }
        return Packages.Where(p => Find(p) is not null).ToHashSet();
    }

    private static int Run(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Runs a command to its end and returns its wall time in seconds; a failure stops the bench.</summary>
    public static async Task<double> TimeAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Leave nothing running behind a cancelled bench.
            process.Kill(entireProcessTree: true);
            throw;
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {(await error + await output).ReplaceLineEndings(" ").Trim()}");
        return elapsed;
    }
}

/// <summary>
/// lsyncd (default.rsync, archive mode) at its smallest delay, 0: each batch of inotify events runs rsync at once.
/// One instance per measured workload, started on an empty source and target and stopped (SIGTERM by pid) afterwards.
/// </summary>
public sealed class Lsyncd : IAsyncDisposable
{
    private readonly LocalProcess _process;

    private Lsyncd(LocalProcess process) => _process = process;

    public static async Task<Lsyncd> StartAsync(string source, string target, string runDir, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(target);
        Directory.CreateDirectory(runDir);
        var log = Path.Combine(runDir, "lsyncd.log");
        var config = Path.Combine(runDir, "lsyncd.conf.lua");
        await File.WriteAllTextAsync(config, $$"""
            settings {
                nodaemon = true,
                insist = true,
                logfile = "{{log}}",
                statusFile = "{{Path.Combine(runDir, "lsyncd.status")}}",
            }
            sync {
                default.rsync,
                source = "{{source}}",
                target = "{{target}}",
                delay = 0,
                rsync = { archive = true },
            }
            """, cancellationToken);
        var process = LocalProcess.Start("lsyncd", ExternalTools.Find("lsyncd")!, [config], new Dictionary<string, string?>(), Path.Combine(runDir, "lsyncd.out"), echo: false);
        var lsyncd = new Lsyncd(process);
        // Measuring starts only after its initial sync ("Startup of '<source>/' finished"), as in the peers' recipe.
        var deadline = Stopwatch.StartNew();
        while (!(File.Exists(log) && ReadShared(log).Contains("finished", StringComparison.Ordinal) && ReadShared(log).Contains("Startup of", StringComparison.Ordinal)))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                await lsyncd.DisposeAsync();
                throw new InvalidOperationException($"lsyncd did not start; see {log}");
            }
            await Task.Delay(20, cancellationToken);
        }
        return lsyncd;
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

using System.Diagnostics;

namespace Dlopbox.Tests.Deployment;

/// <summary>Runs an external program a test relies on (compose, kubectl, shellcheck, node, the client) and collects its output.</summary>
internal static class Tool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    /// <summary>True when <paramref name="command"/> is an executable on PATH (or an existing path).</summary>
    public static bool Exists(string command) =>
        command.Contains('/')
            ? File.Exists(command)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Any(dir => File.Exists(Path.Combine(dir, command)));

    /// <summary>Fails the test, saying how to get the tool, when it is missing: CI installs it (.ci/run).</summary>
    public static void Require(string command, string howToGet)
    {
        if (!Exists(command))
            Assert.Fail($"`{command}` is required for this check and is not on PATH: {howToGet}");
    }

    public static Result Run(string command, IEnumerable<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, int timeoutSeconds = 120)
    {
        var start = new ProcessStartInfo(command, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workingDirectory ?? Embedded.RepoLayout.Root,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{command} {string.Join(' ', args)} did not finish within {timeoutSeconds} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}

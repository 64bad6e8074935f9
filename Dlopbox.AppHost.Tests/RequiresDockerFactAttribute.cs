using System.Diagnostics;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// A fact for tests that start containers. Where no Docker engine answers it is skipped, with the reason
/// printed by the runner (xunit 2 has no dynamic skip; a Skip set in the attribute's constructor is the
/// supported way) — except where the engine is required (CI=true, or DLOPBOX_REQUIRE_DOCKER=1 as
/// ./dlopbox test sets): there the test runs and <see cref="EnsureAvailable"/> fails it with the reason,
/// so that a missing engine cannot pass as a skip. With <c>browser: true</c> the same for Chromium and
/// playwright-core (required where DLOPBOX_REQUIRE_BROWSER=1; <see cref="EnsureBrowser"/>).
/// </summary>
public sealed class RequiresDockerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> UnavailableReason = new(ProbeDocker);

    public const string Chromium = "/usr/bin/chromium";

    public RequiresDockerFactAttribute(bool browser = false)
    {
        if (!Required && UnavailableReason.Value is { } reason)
            Skip = reason;
        else if (browser && !BrowserRequired && BrowserMissing() is { } missing)
            Skip = $"Browser test skipped: {missing}.";
    }

    public static bool BrowserRequired => Environment.GetEnvironmentVariable("DLOPBOX_REQUIRE_BROWSER") == "1";

    /// <summary>The browser-test dir of Dlopbox.Tests, whose node_modules has playwright-core.</summary>
    public static string BrowserScriptDir => System.IO.Path.Combine(RepoRoot.Path, "Dlopbox.Tests", "Browser");

    /// <summary>Call first in a browser test: fails it, with the reason, where the browser is required but missing.</summary>
    public static void EnsureBrowser()
    {
        if (BrowserMissing() is { } missing)
            Assert.Fail($"The browser test must run here (DLOPBOX_REQUIRE_BROWSER=1), but {missing}.");
    }

    private static string? BrowserMissing() =>
        !File.Exists(Chromium) ? $"{Chromium} is missing (apt-get install chromium)"
        : !Directory.Exists(System.IO.Path.Combine(BrowserScriptDir, "node_modules", "playwright-core")) ? $"playwright-core is not installed (npm ci --prefix {BrowserScriptDir})"
        : null;

    public static bool Required =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
        || Environment.GetEnvironmentVariable("DLOPBOX_REQUIRE_DOCKER") == "1";

    /// <summary>Call first in each such test: fails it, with the reason, where the engine is required but does not answer.</summary>
    public static void EnsureAvailable()
    {
        if (UnavailableReason.Value is { } reason)
            Assert.Fail($"{reason} It is required here (CI=true or DLOPBOX_REQUIRE_DOCKER=1): start one (deploy/images/dockerd.sh start).");
    }

    private static string? ProbeDocker()
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            if (!docker.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                docker.Kill(entireProcessTree: true);
                return "Docker is not available: `docker info` did not answer within 20 s.";
            }
            return docker.ExitCode == 0
                ? null
                : $"Docker is not available: `docker info` failed ({docker.StandardError.ReadToEnd().Trim()}).";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"Docker is not available: the docker CLI could not be started ({e.Message}).";
        }
    }
}

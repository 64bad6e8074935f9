namespace Dlopbox.Tests.Deployment;

/// <summary>
/// Whether a Docker engine answers here, for the tests that run containers. Where one is expected (<c>CI=true</c>, or
/// <c>DLOPBOX_REQUIRE_DOCKER=1</c>, which <c>./dlopbox test</c> sets after starting dockerd) a missing engine fails the
/// test; elsewhere the test is skipped with the reason.
/// </summary>
internal static class DockerEngine
{
    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>Null when <c>docker info</c> answers, else why no engine can be used.</summary>
    public static string? WhyUnavailable => Missing.Value;

    public static bool Required =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
        || Environment.GetEnvironmentVariable("DLOPBOX_REQUIRE_DOCKER") == "1";

    /// <summary>Returns when an engine answers; otherwise fails (where required) or skips, saying why.</summary>
    public static void SkipUnlessAvailable()
    {
        if (WhyUnavailable is not { } missing)
            return;
        Assert.False(Required, $"A Docker engine is required here (CI=true or DLOPBOX_REQUIRE_DOCKER=1), but {missing}.");
        Skip.If(true, $"Docker test skipped: {missing} (deploy/images/dockerd.sh start starts one).");
    }

    private static string? Probe()
    {
        if (!Tool.Exists("docker"))
            return "the docker client is not installed (apt-get install docker.io)";
        var result = Tool.Run("docker", ["info", "--format", "{{.ServerVersion}}"], timeoutSeconds: 30);
        return result.ExitCode == 0 && result.Stdout.Trim().Length > 0
            ? null
            : $"no Docker engine answers (docker info: {result.Output.Trim().Split('\n')[0]})";
    }
}

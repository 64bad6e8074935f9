using Dlopbox.Embedded;

namespace Dlopbox.Tests.Deployment;

/// <summary>shellcheck passes on every shell script of the repo: *.sh, ./dlopbox and .ci/run.</summary>
public sealed class ShellScriptTests
{
    private static readonly string[] SkippedDirs = [".git", "artifacts", "bin", "obj", ".dlopbox", "node_modules"];

    public static TheoryData<string> Scripts()
    {
        var root = RepoLayout.Root;
        var data = new TheoryData<string> { "dlopbox", ".ci/run" };
        foreach (var path in Directory.EnumerateFiles(root, "*.sh", SearchOption.AllDirectories)
                     .Select(p => Path.GetRelativePath(root, p))
                     .Where(p => !p.Split('/').Any(SkippedDirs.Contains))
                     .Order(StringComparer.Ordinal))
            data.Add(path);
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Passes_shellcheck(string script)
    {
        Tool.Require("shellcheck", "install it (apt-get install shellcheck; .ci/run does)");
        var result = Tool.Run("shellcheck", ["--external-sources", script]);
        Assert.True(result.ExitCode == 0, $"shellcheck {script}:\n{result.Output}");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // Unix file modes; dlopbox runs on Linux
    public void Deployment_scripts_are_executable()
    {
        foreach (var script in new[]
                 {
                     "deploy/docker-cli.sh", "deploy/gen-env.sh", "deploy/docker/healthcheck.sh",
                     // The stand-in images exec these (COPY keeps the mode), and ./dlopbox runs the first two.
                     "deploy/images/build.sh", "deploy/images/dockerd.sh", "deploy/images/rabbitmq/docker-entrypoint.sh",
                     "deploy/images/nginx/docker-entrypoint.sh", "deploy/images/nginx/20-envsubst-on-templates.sh",
                 })
        {
            var mode = File.GetUnixFileMode(Path.Combine(RepoLayout.Root, script));
            Assert.True(mode.HasFlag(UnixFileMode.UserExecute), $"{script} is not executable");
        }
    }
}

using System.Diagnostics;
using Dlopbox.Embedded;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// The plain docker recipe, deploy/docker-cli.sh: the README shows its steps section word for word; it refuses bad
/// settings before touching Docker; and, run for real on deploy/images' stand-ins (no MongoDB: none can be had here),
/// `up` brings every container up healthy, its own `test` passes, a burst and a client restarted while the master
/// changes end with both replicas equal to the master's whole tree, and `down --volumes` leaves nothing of it.
/// </summary>
public sealed class DockerCliTests(ITestOutputHelper output)
{
    private const string Script = "deploy/docker-cli.sh";
    private const string Label = "org.dlopbox.project";
    private const string ReplicaDir = "/var/lib/dlopbox/replica";

    [Fact]
    public void The_readme_shows_the_scripts_steps_word_for_word()
    {
        var script = File.ReadAllText(Path.Combine(RepoLayout.Root, Script));
        const string begin = "# --- steps begin ---\n", end = "# --- steps end ---\n";
        var start = script.IndexOf(begin, StringComparison.Ordinal);
        var stop = script.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"{Script} has no steps section");
        var steps = script[(start + begin.Length)..stop];
        Assert.Contains("docker run -d --name \"$P-client-$i\"", steps);

        var readme = File.ReadAllText(Path.Combine(RepoLayout.Root, "README.md"));
        var section = readme[readme.IndexOf("### Plain docker\n", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n### ", 1, StringComparison.Ordinal)];
        var block = section[(section.IndexOf("```sh\n", StringComparison.Ordinal) + 6)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        Assert.True(block.Contains(steps, StringComparison.Ordinal),
            $"README's Plain docker steps differ from {Script}'s steps section; copy it from there. The script's:\n{steps}");
    }

    [Theory]
    [InlineData("DLOPBOX_WATCHER_TOKEN", "", "DLOPBOX_WATCHER_TOKEN is empty")]
    [InlineData("MONGO_ROOT_PASSWORD", "", "MONGO_ROOT_PASSWORD is empty")]
    [InlineData("DLOPBOX_MONGO", "maybe", "DLOPBOX_MONGO is 'maybe': on or off")]
    [InlineData("DLOPBOX_NAME", "MySystem", "DLOPBOX_NAME is 'MySystem'")]
    public void Up_refuses_bad_settings_before_it_runs_anything(string name, string value, string error)
    {
        var settings = ComposeFile.FilledEnvironment();
        settings[name] = value;
        using var envFile = new EnvFile(settings);
        var result = Tool.Run("bash", [Script, "up"], environment: new Dictionary<string, string>
        {
            ["DLOPBOX_ENV_FILE"] = envFile.Path,
            ["DLOPBOX_NAME"] = "unused",
        });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(error, result.Stderr);
    }

    [Fact]
    public void Up_without_an_env_file_says_how_to_make_one()
    {
        var result = Tool.Run("bash", [Script, "up"], environment: new Dictionary<string, string>
        {
            ["DLOPBOX_ENV_FILE"] = "/nonexistent/.env",
        });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/nonexistent/.env is missing: run deploy/gen-env.sh", result.Stderr);
    }

    [SkippableFact]
    public async Task Up_test_and_down_run_the_system_and_leave_nothing()
    {
        DockerEngine.SkipUnlessAvailable();
        var total = Stopwatch.StartNew();
        var name = "dlopboxtest" + Guid.NewGuid().ToString("N")[..10];
        output.WriteLine($"{Script} as {name}, with DLOPBOX_MONGO=off: no MongoDB image exists here, so the Interface " +
                         "keeps its event log in SQLite (checked below).");
        var settings = ComposeFile.FilledEnvironment().Where(kv => !kv.Key.StartsWith("MONGO_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, value) in LocalImages.Settings())
            settings[key] = value;
        settings["DLOPBOX_NAME"] = name;
        settings["DLOPBOX_MONGO"] = "off";
        settings["DLOPBOX_CLIENTS"] = "2";
        settings["DLOPBOX_HEALTH_INTERVAL"] = "2s";
        foreach (var port in new[] { "DLOPBOX_INTERFACE_PORT", "DLOPBOX_FILES_PORT", "DLOPBOX_RABBITMQ_UI_PORT" })
            settings[port] = "0";
        using var envFile = new EnvFile(settings);
        var environment = new Dictionary<string, string> { ["DLOPBOX_ENV_FILE"] = envFile.Path, ["DOCKER_BUILDKIT"] = "0" };
        Tool.Result Run(string command, int timeoutSeconds = 300, params string[] args) =>
            Tool.Run("bash", [Script, command, .. args], environment: environment, timeoutSeconds: timeoutSeconds);

        var trees = new ContainerTrees(output);
        var master = ($"{name}-master", "/shared");
        (string, string)[] replicas = [($"{name}-client-1", ReplicaDir), ($"{name}-client-2", ReplicaDir)];
        var down = false;
        try
        {
            var step = Stopwatch.StartNew();
            var up = Run("up", timeoutSeconds: 1800);
            Assert.True(up.ExitCode == 0, $"{Script} up failed ({up.ExitCode}):\n{ComposeProject.Tail(up.Output, 60)}");
            output.WriteLine($"up (builds, on the stand-ins, and every container healthy): {ComposeProject.Seconds(step.Elapsed)}");
            Assert.Contains($"up: the status page is http://127.0.0.1:", up.Stderr);

            Assert.Equal(
                new[] { "client-1", "client-2", "interface", "master", "nginx", "rabbit" }.Select(c => $"{name}-{c}"),
                Labelled("ps", "-a", "--format", "{{.Names}}").Order(StringComparer.Ordinal));
            // Host ports only on the loopback.
            foreach (var (container, port) in new[] { ("interface", "5000"), ("nginx", "8080"), ("rabbit", "15672") })
                Assert.StartsWith("127.0.0.1:", Tool.Run("docker", ["port", $"{name}-{container}", port]).Stdout.Trim());
            var mongo = Tool.Run("docker", ["exec", $"{name}-interface", "printenv", "ConnectionStrings__mongo"]);
            Assert.True(mongo.ExitCode != 0, $"the Interface has a mongo connection string: {mongo.Stdout}");
            ComposeProject.Exec($"{name}-interface", "test", "-s", "/var/lib/dlopbox/interface/eventlog.db");

            // The script's own check, then the whole trees.
            step.Restart();
            var test = Run("test");
            Assert.True(test.ExitCode == 0, $"{Script} test failed ({test.ExitCode}):\n{test.Output}");
            Assert.Contains($"PASS: dlopbox-cli-test-", test.Stderr);
            Assert.Contains($"{name}-client-1 {name}-client-2", test.Stderr);
            await trees.WaitInSyncAsync(master, replicas, "after test");
            output.WriteLine($"test, and both replicas equal: {ComposeProject.Seconds(step.Elapsed)}");

            step.Restart();
            ComposeProject.Exec(master.Item1, "bash", "-c",
                """
                set -e
                for d in $(seq 0 4); do mkdir -p "/shared/burst/d$d"; done
                for i in $(seq 1 200); do head -c $(( (i * 7919) % 65536 )) /dev/urandom > "/shared/burst/d$((i % 5))/f$i.bin"; done
                chmod 755 /shared/burst/d3/f3.bin
                ln -s d1/f1.bin /shared/burst/link-to-f1
                """);
            await trees.WaitInSyncAsync(master, replicas, "a burst of 200 files");
            output.WriteLine($"burst: {ComposeProject.Seconds(step.Elapsed)}");

            // A client stopped while the master changes, then started again: it resumes from its offset.
            step.Restart();
            Assert.Equal(0, Tool.Run("docker", ["stop", "-t", "10", $"{name}-client-2"]).ExitCode);
            ComposeProject.Exec(master.Item1, "bash", "-c",
                "set -e; rm /shared/burst/d1/f11.bin; mv /shared/burst/d2 /shared/burst/d2-moved; printf 'changed\\n' > /shared/burst/d0/f5.bin");
            Assert.Equal(0, Tool.Run("docker", ["start", $"{name}-client-2"]).ExitCode);
            await trees.WaitInSyncAsync(master, replicas, "changes made while client-2 was stopped");
            output.WriteLine($"client-2 restarted and caught up: {ComposeProject.Seconds(step.Elapsed)}");

            // A second `up` over a running one is refused and changes nothing.
            var again = Run("up");
            Assert.Equal(1, again.ExitCode);
            Assert.Contains($"{name} is already up", again.Stderr);

            step.Restart();
            down = true;
            var result = Run("down", 300, "--volumes");
            Assert.True(result.ExitCode == 0, $"{Script} down --volumes failed: {result.Output}");
            Assert.Empty(Labelled("ps", "-a", "-q"));
            Assert.Empty(Labelled("network", "ls", "-q"));
            Assert.Empty(Labelled("volume", "ls", "-q"));
            output.WriteLine($"down --volumes: {ComposeProject.Seconds(step.Elapsed)}; the whole test: {ComposeProject.Seconds(total.Elapsed)}");
        }
        catch
        {
            DockerContainer.WriteDiagnostics(output, Labelled("ps", "-a", "--format", "{{.Names}}"));
            throw;
        }
        finally
        {
            if (!down)
                Run("down", 300, "--volumes");
        }

        List<string> Labelled(params string[] command) =>
            [.. Tool.Run("docker", [.. command, "--filter", $"label={Label}={name}"]).Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}

using System.Diagnostics;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// docker-compose.yaml brought up for real: its images built by compose from the repo's Dockerfiles on deploy/images'
/// local stand-in bases (the same Dockerfiles a user with a registry builds on the official ones), every health check
/// passing, then the seeds' check and more, each ending only when every client's /replica equals the master's
/// /shared (names, kinds, sizes, modes, mtimes, link targets, SHA-256 of every file): one file, a burst, a client
/// stopped and started again (it resumes: what it had is not downloaded again), `--scale client=3`; and `down -v`
/// leaves no container, network or volume of the project. MongoDB is left out (no image of it exists here): compose
/// runs docker-compose.yaml without its MongoDB override, and the Interface keeps its event log in SQLite.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // Unix file modes for the shared master dir
public sealed class ComposeEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private readonly ContainerTrees _trees = new(output);

    [SkippableFact]
    public async Task Compose_syncs_the_master_into_every_client_through_a_burst_a_restart_and_a_scale_up()
    {
        DockerEngine.SkipUnlessAvailable();
        var total = Stopwatch.StartNew();
        var work = Directory.CreateTempSubdirectory("dlopbox-compose-");
        var master = Directory.CreateDirectory(Path.Combine(work.FullName, "master"));
        // The watcher (uid 1654 in the image) and the test's `docker exec` write here; nginx (uid 101) reads.
        File.SetUnixFileMode(master.FullName, (UnixFileMode)0b111_111_111);
        var overrideFile = Path.Combine(work.FullName, "test-settings.yaml");
        await File.WriteAllTextAsync(overrideFile, TestSettings);

        output.WriteLine("MongoDB is left out: no MongoDB image exists here, so compose runs docker-compose.yaml without " +
                         "docker-compose.override.yaml and the Interface keeps its event log in SQLite (checked below).");
        // No MONGO_* secret: only the override, not used here, needs them.
        var environment = ComposeFile.FilledEnvironment().Where(kv => !kv.Key.StartsWith("MONGO_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, value) in LocalSettings(master.FullName))
            environment[key] = value;

        var project = new ComposeProject(output, [ComposeFile.Path, overrideFile], environment);
        try
        {
            output.WriteLine(project.Check(["version"]).Stdout.Split('\n')[0]);
            var step = Stopwatch.StartNew();
            project.Check(["build"], timeoutSeconds: 1800);
            output.WriteLine($"compose build: {ComposeProject.Seconds(step.Elapsed)}");

            Assert.DoesNotContain("mongo", project.Check(["config", "--services"]).Stdout.Split('\n', StringSplitOptions.TrimEntries));
            step.Restart();
            project.Check(["up", "-d"], timeoutSeconds: 600);
            await WaitHealthyAsync(project, 5);
            output.WriteLine($"compose up until all 5 containers are healthy: {ComposeProject.Seconds(step.Elapsed)}");

            var masterContainer = project.Containers("master").Single();
            var interfaceContainer = project.Containers("interface").Single();
            var nginxContainer = project.Containers("nginx").Single();
            var client = project.Containers("client").Single();

            // The Interface was given no mongo connection string, so its event log is the SQLite file in its volume.
            var mongo = Tool.Run("docker", ["exec", interfaceContainer, "printenv", "ConnectionStrings__mongo"]);
            Assert.True(mongo.ExitCode != 0, $"the Interface has a mongo connection string: {mongo.Stdout}");
            ComposeProject.Exec(interfaceContainer, "test", "-s", "/var/lib/dlopbox/interface/eventlog.db");

            // 1. The seeds' check: a file created in the master's /shared shows up in the client.
            step.Restart();
            const string hello = "hello from the master";
            ComposeProject.Exec(masterContainer, "sh", "-c", "printf '%s\\n' \"$1\" > /shared/hello.txt", "sh", hello);
            await WaitInSyncAsync(masterContainer, [client], "hello.txt");
            Assert.Contains("hello.txt", ComposeProject.Exec(client, "ls", "/replica").Split('\n'));
            Assert.Equal(hello + "\n", ComposeProject.Exec(client, "cat", "/replica/hello.txt"));
            output.WriteLine($"one file: {ComposeProject.Seconds(step.Elapsed)}");

            // 2. A burst: 300 files of 0..~64 KiB in 10 dirs, executables, an empty dir and a relative symlink.
            step.Restart();
            ComposeProject.Exec(masterContainer, "bash", "-c",
                """
                set -e
                for d in $(seq 0 9); do mkdir -p "/shared/burst/d$d"; done
                for i in $(seq 1 300); do head -c $(( (i * 7919) % 65536 )) /dev/urandom > "/shared/burst/d$((i % 10))/f$i.bin"; done
                chmod 755 /shared/burst/d3/f3.bin /shared/burst/d3/f13.bin
                mkdir /shared/burst/empty
                ln -s d1/f1.bin /shared/burst/link-to-f1
                """);
            await WaitInSyncAsync(masterContainer, [client], "the burst");
            output.WriteLine($"burst of 300 files: {ComposeProject.Seconds(step.Elapsed)}");

            // 3. The client stopped while the master changes, then started again: it catches up from its offset.
            step.Restart();
            var helloDownloads = Downloads(nginxContainer, "/files/hello.txt");
            Assert.Equal(1, helloDownloads);
            project.Check(["stop", "client"], timeoutSeconds: 120);
            ComposeProject.Exec(masterContainer, "bash", "-c",
                """
                set -e
                mkdir -p /shared/while-stopped
                for i in $(seq 1 20); do head -c $((i * 1000)) /dev/urandom > "/shared/while-stopped/g$i.bin"; done
                rm /shared/burst/d1/f11.bin /shared/burst/d1/f21.bin
                mv /shared/burst/d2 /shared/burst/d2-moved
                printf 'changed\n' > /shared/hello.txt
                """);
            project.Check(["start", "client"], timeoutSeconds: 120);
            await WaitHealthyAsync(project, 5);
            Assert.Equal([client], project.Containers("client"));
            await WaitInSyncAsync(masterContainer, [client], "the changes made while the client was stopped");
            // hello.txt was rewritten, so it is fetched once more; the 300 files of the burst, unchanged, are not.
            Assert.Equal(2, Downloads(nginxContainer, "/files/hello.txt"));
            Assert.Equal(1, Downloads(nginxContainer, "/files/burst/d0/f10.bin"));
            output.WriteLine($"client restarted and caught up: {ComposeProject.Seconds(step.Elapsed)}");

            // 4. Three replicas, each in its own volumes: the two new ones sync the whole tree from scratch.
            step.Restart();
            project.Check(["up", "-d", "--scale", "client=3"], timeoutSeconds: 600);
            await WaitHealthyAsync(project, 7);
            var clients = project.Containers("client");
            Assert.Equal(3, clients.Count);
            Assert.Contains(client, clients);
            await WaitInSyncAsync(masterContainer, clients, "three clients");
            output.WriteLine($"scaled to 3 clients, all in sync: {ComposeProject.Seconds(step.Elapsed)}");

            // 5. down -v leaves nothing of the project: no container, no network, no volume (named or anonymous).
            step.Restart();
            var volumes = project.Volumes();
            Assert.Contains(volumes, v => v.EndsWith("_rabbit-data", StringComparison.Ordinal));
            Assert.True(volumes.Count >= 3 + 2 * 3, $"expected the named volumes and two anonymous ones per client, got {string.Join(", ", volumes)}");
            var down = project.Down();
            Assert.True(down.ExitCode == 0, $"compose down -v failed: {down.Output}");
            Assert.Empty(project.Containers());
            Assert.Empty(project.Networks());
            Assert.All(volumes, v => Assert.NotEqual(0, Tool.Run("docker", ["volume", "inspect", v]).ExitCode));
            output.WriteLine($"compose down -v: {ComposeProject.Seconds(step.Elapsed)}; the whole test: {ComposeProject.Seconds(total.Elapsed)}");
        }
        catch
        {
            project.WriteDiagnostics();
            throw;
        }
        finally
        {
            project.Dispose();
            try
            {
                work.Delete(recursive: true);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // Files the containers' user wrote, where the test does not run as root.
                output.WriteLine($"left {work.FullName}: {e.Message}");
            }
        }
    }

    /// <summary>Shorter health-check intervals than a user's (the start order waits for each), and a start
    /// period long enough for a cold RabbitMQ on a busy machine. Compose merges these into the main file.</summary>
    private const string TestSettings =
        """
        services:
          rabbit:
            healthcheck: { interval: 2s, start_period: 180s }
          interface:
            healthcheck: { interval: 2s, start_period: 180s }
          nginx:
            healthcheck: { interval: 2s, start_period: 180s }
          master:
            healthcheck: { interval: 2s, start_period: 180s }
          client:
            healthcheck: { interval: 2s, start_period: 180s }
        """;

    /// <summary>The README's settings for a machine without a registry: the stand-in bases, and the images tagged
    /// so they do not replace a user's dlopbox/*:dev; host ports on the loopback, chosen by Docker (0).</summary>
    private static Dictionary<string, string> LocalSettings(string masterDir) => new(LocalImages.Settings())
    {
        ["DLOPBOX_MASTER_DIR"] = masterDir,
        ["DLOPBOX_INTERFACE_PORT"] = "0",
        ["DLOPBOX_FILES_PORT"] = "0",
        ["DLOPBOX_RABBITMQ_UI_PORT"] = "0",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
        // The classic builder, through the API (compose v1) or the CLI (v2): there is no BuildKit here.
        ["DOCKER_BUILDKIT"] = "0",
        ["COMPOSE_DOCKER_CLI_BUILD"] = "0",
    };

    /// <summary>Waits until the project has <paramref name="count"/> containers, all running and healthy; fails at
    /// once when one has exited or is unhealthy.</summary>
    private async Task WaitHealthyAsync(ComposeProject project, int count)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (true)
        {
            var states = project.Containers().Select(id =>
                Tool.Run("docker", ["inspect", "-f", "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}no-health-check{{end}}", id])
                    .Stdout.Trim()).ToList();
            last = string.Join(", ", states);
            Assert.DoesNotContain(states, s => s.Contains(" exited", StringComparison.Ordinal) || s.EndsWith(" unhealthy", StringComparison.Ordinal));
            if (states.Count == count && states.All(s => s.EndsWith(" running healthy", StringComparison.Ordinal)))
                return;
            if (clock.Elapsed > HealthyTimeout)
                Assert.Fail($"Not within {HealthyTimeout.TotalSeconds:0} s: {count} healthy containers; they are: {last}");
            await Task.Delay(PollInterval);
        }
    }

    private Task WaitInSyncAsync(string masterContainer, IReadOnlyList<string> clients, string what) =>
        _trees.WaitInSyncAsync((masterContainer, "/shared"), [.. clients.Select(c => (c, "/replica"))], what);

    /// <summary>How many times nginx served <paramref name="path"/> (its access log, on the container's stdout): 200s
    /// and 206s, since the client asks for a range (resuming a part it has).</summary>
    private static int Downloads(string nginxContainer, string path)
    {
        var logs = Tool.Run("docker", ["logs", nginxContainer]);
        return logs.Output.Split('\n').Count(line =>
            line.Contains($"\"GET {path} HTTP/1.1\" 200 ", StringComparison.Ordinal) ||
            line.Contains($"\"GET {path} HTTP/1.1\" 206 ", StringComparison.Ordinal));
    }
}

using System.Security.Cryptography;
using Dlopbox.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// Starts the whole AppHost model (broker, database when configured, nginx, Interface, watcher, two
/// clients), waits until every resource is healthy, writes files into the master dir and checks that both
/// replicas follow it — the whole tree, names, types and bytes — through writes, a file move, a dir move
/// and a delete. The images and the event log come from the AppHost's settings; Dlopbox__* environment
/// variables override them (./dlopbox test sets Dlopbox__Images__RabbitMQ/Nginx to the local stand-ins and
/// Dlopbox__EventLog=Sqlite where no MongoDB image is present). Dlopbox:DataVolumes=false and the run's
/// own DataDir: the run leaves no volume, and its containers are found and removed even when it fails.
/// </summary>
[Collection(WholeModelCollection.Name)]
public sealed class SyncTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(60);

    [RequiresDockerFact]
    public async Task The_replicas_follow_the_master_through_writes_moves_and_deletes()
    {
        RequiresDockerFactAttribute.EnsureAvailable();
        using var cts = new CancellationTokenSource(StartTimeout + SyncTimeout * 3);
        var ct = cts.Token;

        // Not Directory.CreateTempSubdirectory: it makes the dir 0700, and nginx's workers (another uid,
        // in the container) must be able to read the master dir.
        var dataDir = Path.Combine(Path.GetTempPath(), "dlopbox-apphost-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(dataDir);
        var docker = new DockerResources(dataDir);
        try
        {
            var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Dlopbox_AppHost>(
            [
                .. SettingsFromEnvironment(),
                $"--Dlopbox:DataDir={dataDir}",
                "--Dlopbox:DataVolumes=false",
                "--Parameters:rabbit-user=dlopbox-admin",
                $"--Parameters:rabbit-password={Secret()}",
                $"--Parameters:rabbit-interface-password={Secret()}",
                $"--Parameters:rabbit-client-password={Secret()}",
                $"--Parameters:watcher-token={Secret()}",
                $"--Parameters:client-token={Secret()}",
                "--Parameters:mongo-root-user=dlopbox-root",
                $"--Parameters:mongo-root-password={Secret()}",
                $"--Parameters:mongo-interface-password={Secret()}",
            ], ct);

            await using (var app = await appHost.BuildAsync(ct).WaitAsync(StartTimeout, ct))
            {
                await app.StartAsync(ct).WaitAsync(StartTimeout, ct);
                // Every container and project, the broker and nginx included; parameters have no health.
                var resources = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
                    .Where(r => r is ContainerResource or ProjectResource).Select(r => r.Name).ToList();
                Assert.Contains("rabbit", resources);
                Assert.Contains("nginx", resources);
                var started = DateTime.UtcNow;
                foreach (var resource in resources)
                    await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, ct).WaitAsync(StartTimeout, ct);
                output.WriteLine($"healthy: {string.Join(", ", resources)} ({(DateTime.UtcNow - started).TotalSeconds:F1} s after start)");
                docker.Record();
                Assert.NotEmpty(docker.Containers);
                Assert.Empty(docker.Volumes);

                var master = Path.Combine(dataDir, "master");
                string[] replicas = [Path.Combine(dataDir, "client-a"), Path.Combine(dataDir, "client-b")];

                Write(master, "hello.txt", "hello from the AppHost test\n"u8.ToArray());
                Write(master, "dir/sub/random.bin", RandomNumberGenerator.GetBytes(300_000));
                Write(master, "dir/keep.txt", "stays in the moved dir\n"u8.ToArray());
                Write(master, "name with spaces #1.txt", "odd names too\n"u8.ToArray());
                Write(master, "doomed.txt", "deleted later\n"u8.ToArray());
                await WaitForReplicasAsync(master, replicas, "after the writes", ct);

                File.Move(Path.Combine(master, "hello.txt"), Path.Combine(master, "hello-moved.txt"));
                Directory.Move(Path.Combine(master, "dir"), Path.Combine(master, "moved dir"));
                File.Delete(Path.Combine(master, "doomed.txt"));
                var expected = TreeComparison.Read(master, asMaster: true);
                Assert.Equal(["hello-moved.txt", "moved dir", "moved dir/keep.txt", "moved dir/sub", "moved dir/sub/random.bin", "name with spaces #1.txt"], expected.Keys);
                await WaitForReplicasAsync(master, replicas, "after a file move, a dir move and a delete", ct);
            }

            var leftovers = await docker.RemoveLeftoversAsync();
            Assert.True(leftovers.Count == 0, $"the stopped app left {string.Join(", ", leftovers)} (removed now)");
        }
        finally
        {
            await docker.RemoveLeftoversAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void Write(string root, string path, byte[] bytes)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
    }

    private async Task WaitForReplicasAsync(string master, string[] replicas, string when, CancellationToken ct)
    {
        var expected = TreeComparison.Read(master, asMaster: true);
        var started = DateTime.UtcNow;
        foreach (var replica in replicas)
        {
            while (true)
            {
                var diff = TreeComparison.Diff(master, replica);
                if (diff.Count == 0)
                    break;
                if (DateTime.UtcNow - started > SyncTimeout)
                    Assert.Fail($"{when}: {replica} still differs from the master after {SyncTimeout.TotalSeconds} s:\n{string.Join('\n', diff)}");
                await Task.Delay(200, ct);
            }
        }
        output.WriteLine($"{when}: both replicas equal the master ({expected.Count} entries) in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
    }

    /// <summary>Dlopbox__Images__Nginx=… as --Dlopbox:Images:Nginx=…, so that the run uses what the machine has.</summary>
    private static IEnumerable<string> SettingsFromEnvironment() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("Dlopbox__", StringComparison.Ordinal))
            .Order()
            .Select(k => $"--{k.Replace("__", ":", StringComparison.Ordinal)}={Environment.GetEnvironmentVariable(k)}");

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}

/// <summary>
/// The tests that run the whole model, one at a time: the services listen on fixed ports (5000, 5101…),
/// so two runs at once would clash.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeModelCollection
{
    public const string Name = "Whole model";
}

using System.Security.Cryptography;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// Starts the whole AppHost model (broker, database, nginx, Interface, watcher, two clients), writes
/// files into the master dir and waits until both replicas hold them, byte for byte. The images and the
/// event log come from the AppHost's settings; Dlopbox__* environment variables override them here too
/// (e.g. Dlopbox__Images__RabbitMQ=dlopbox-local/rabbitmq:3.10-management, Dlopbox__EventLog=Sqlite where
/// no MongoDB image can be had).
/// </summary>
public sealed class SyncTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(60);

    [RequiresDockerFact]
    public async Task Files_written_to_the_master_arrive_byte_equal_in_both_replicas()
    {
        using var cts = new CancellationTokenSource(StartTimeout + SyncTimeout * 2);
        var ct = cts.Token;

        // Not Directory.CreateTempSubdirectory: it makes the dir 0700, and nginx's workers (another uid,
        // in the container) must be able to read the master dir.
        var dataDir = Path.Combine(Path.GetTempPath(), "dlopbox-apphost-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(dataDir);
        try
        {
            var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Dlopbox_AppHost>(
            [
                $"--Dlopbox:DataDir={dataDir}",
                "--Parameters:rabbit-user=dlopbox-admin",
                $"--Parameters:rabbit-password={Secret()}",
                $"--Parameters:rabbit-interface-password={Secret()}",
                $"--Parameters:rabbit-client-password={Secret()}",
                $"--Parameters:watcher-token={Secret()}",
                $"--Parameters:client-token={Secret()}",
                "--Parameters:mongo-root-user=dlopbox-root",
                $"--Parameters:mongo-root-password={Secret()}",
                $"--Parameters:mongo-interface-password={Secret()}",
                .. SettingsFromEnvironment(),
            ], ct);

            await using var app = await appHost.BuildAsync(ct).WaitAsync(StartTimeout, ct);
            await app.StartAsync(ct).WaitAsync(StartTimeout, ct);
            foreach (var resource in new[] { "interface", "watcher", "client-a", "client-b" })
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, ct).WaitAsync(StartTimeout, ct);

            var master = Path.Combine(dataDir, "master");
            var files = new Dictionary<string, byte[]>
            {
                ["hello.txt"] = "hello from the AppHost test\n"u8.ToArray(),
                ["dir/sub/random.bin"] = RandomNumberGenerator.GetBytes(300_000),
                ["name with spaces #1.txt"] = "odd names too\n"u8.ToArray(),
            };
            foreach (var (path, bytes) in files)
            {
                var full = Path.Combine(master, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await File.WriteAllBytesAsync(full, bytes, ct);
            }

            foreach (var replica in new[] { "client-a", "client-b" })
                await WaitForReplicaAsync(Path.Combine(dataDir, replica), files, ct);
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task WaitForReplicaAsync(string replicaDir, IReadOnlyDictionary<string, byte[]> files, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + SyncTimeout;
        while (true)
        {
            var missing = files.Where(f => !SameBytes(Path.Combine(replicaDir, f.Key), f.Value)).Select(f => f.Key).ToList();
            if (missing.Count == 0)
                return;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{replicaDir} still lacks (or differs in) {string.Join(", ", missing)} after {SyncTimeout.TotalSeconds} s");
            await Task.Delay(200, ct);
        }
    }

    private static bool SameBytes(string path, byte[] expected)
    {
        try
        {
            return File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(expected);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Dlopbox__Images__Nginx=… as --Dlopbox:Images:Nginx=…, so that the run uses what the machine has.</summary>
    private static IEnumerable<string> SettingsFromEnvironment() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("Dlopbox__", StringComparison.Ordinal))
            .Order()
            .Select(k => $"--{k.Replace("__", ":", StringComparison.Ordinal)}={Environment.GetEnvironmentVariable(k)}");

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}

using System.Diagnostics;
using System.Text.Json;
using Dlopbox.Embedded;
using Dlopbox.Tests.Integration;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Faults;

/// <summary>
/// The real system for the fault scenarios: a private rabbitmq-server, nginx (with its access log, to
/// count downloads), the Interface, the Watcher and two Clients, each a process that the tests stop,
/// kill and start again. Every scenario ends with both replicas equal to the master.
/// </summary>
public sealed class FaultSystemFixture() : EmbeddedSystemFixture("faults")
{
    public override IReadOnlyList<string> ReplicaDirs => [Path.Combine(Root, "replica-1"), Path.Combine(Root, "replica-2")];

    public ServiceProcess Client1 => System.Clients[0];

    public ServiceProcess Client2 => System.Clients[1];

    public string Master(string relative) => Path.Combine(MasterDir, relative);

    public string Replica(ServiceProcess client) => ReplicaDirs[System.Clients.ToList().IndexOf(client)];

    public string StateFile(ServiceProcess client) => Path.Combine(Root, "state", client.Name, "client-state.json");

    /// <summary>Waits until every replica equals the master, byte for byte; returns how long that took.</summary>
    public Task<TimeSpan> ConvergeAsync(TimeSpan? timeout = null) => FaultAssert.ConvergesAsync(MasterDir, ReplicaDirs, timeout ?? FaultAssert.DefaultTimeout);

    public async Task StartAsync(ServiceProcess service)
    {
        service.Start();
        await service.WaitHealthyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }
}

[CollectionDefinition(Name)]
public sealed class FaultCollection : ICollectionFixture<FaultSystemFixture>
{
    public const string Name = "faults";
}

/// <summary>Convergence with deadlines, and the evidence the scenarios assert on: access log, service logs, saved offsets.</summary>
public static class FaultAssert
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Polls names, kinds and sizes (cheap) until they match, then compares every byte with
    /// <see cref="TreeAssert.ConvergesAsync"/>. Returns the time from the call to convergence.
    /// </summary>
    public static async Task<TimeSpan> ConvergesAsync(string master, IEnumerable<string> replicas, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        foreach (var replica in replicas)
        {
            while (clock.Elapsed < timeout && TreeComparison.Diff(master, replica, compareContent: false).Count > 0)
                await Task.Delay(50);
            var left = timeout - clock.Elapsed;
            await TreeAssert.ConvergesAsync(master, replica, left > TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5));
        }
        return clock.Elapsed;
    }

    /// <summary>Files that <paramref name="client"/> fetched (200, or 206 for the ranged download of the announced size) after the access log held <paramref name="mark"/> lines.</summary>
    public static List<string> DownloadsSince(EmbeddedNginx files, int mark, ServiceProcess client) =>
        files.ReadAccessLog().Skip(mark)
            .Where(r => r.Status is 200 or 206 && r.FilePath is not null && r.UserAgent == "dlopbox-client/" + client.Name)
            .Select(r => r.FilePath!)
            .ToList();

    public static long LogMark(ServiceProcess service) => File.Exists(service.LogFile) ? new FileInfo(service.LogFile).Length : 0;

    /// <summary>What the service logged after <paramref name="mark"/> (its log survives restarts).</summary>
    public static string LogSince(ServiceProcess service, long mark)
    {
        using var stream = new FileStream(service.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(mark, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// What the service logged after <paramref name="mark"/>, once every fragment is in it. A service's log reaches its file
    /// through a pipe, a moment after the service acted: the files can equal the master before the line that says so is there.
    /// </summary>
    public static async Task<string> LogOnceItSaysAsync(ServiceProcess service, long mark, params string[] fragments)
    {
        await Eventually.TrueAsync(() => fragments.All(f => LogSince(service, mark).Contains(f, StringComparison.Ordinal)), TimeSpan.FromSeconds(30),
            $"{service.Name} logged {string.Join(" and ", fragments.Select(f => $"'{f}'"))}");
        return LogSince(service, mark);
    }

    public static int CountLines(string log, string fragment) =>
        log.Split('\n').Count(line => line.Contains(fragment, StringComparison.Ordinal));

    public static long SavedOffset(string stateFile)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(stateFile));
        return document.RootElement.GetProperty("offset").GetInt64();
    }

    /// <summary>Regular files under <paramref name="dir"/>, relative, '/'-separated; dlopbox's temp files included.</summary>
    public static List<string> FilesUnder(string root, string dir)
    {
        var full = Path.Combine(root, dir);
        if (!Directory.Exists(full))
            return [];
        try
        {
            return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                .ToList();
        }
        catch (IOException)
        {
            return []; // changing under us; the caller polls again
        }
    }

    public static bool IsTemp(string path) => Path.GetFileName(path).StartsWith(Dlopbox.Contracts.WireNames.TempFilePrefix, StringComparison.Ordinal);

    /// <summary>Writes <paramref name="count"/> small random files under <paramref name="dir"/>, 100 per subdir, pausing now and then so the burst lasts.</summary>
    public static async Task WriteBurstAsync(string masterDir, string dir, int count, int seed, TaskCompletionSource? halfway = null, TimeSpan? pauseEvery50 = null)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var sub = Path.Combine(masterDir, dir, $"d{i / 100:000}");
            Directory.CreateDirectory(sub);
            var bytes = new byte[random.Next(1, 8 * 1024)];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(sub, $"f{i:00000}.bin"), bytes);
            if (i == count / 2)
                halfway?.TrySetResult();
            if (i % 50 == 49 && pauseEvery50 is { } pause)
                await Task.Delay(pause);
        }
        halfway?.TrySetResult();
    }

    public static async Task ShellAsync(string workingDirectory, string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { WorkingDirectory = workingDirectory })!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}

/// <summary>Each scenario's convergence time, printed to the test output and collected in <c>artifacts/test-results/fault-convergence.md</c>.</summary>
public static class ConvergenceTimes
{
    private static readonly Lock Gate = new();

    public static void Record(ITestOutputHelper output, string scenario, TimeSpan converged, string detail = "")
    {
        var line = $"| {scenario} | {converged.TotalSeconds:0.00} s | {detail} |";
        output.WriteLine(line);
        var file = Path.Combine(RepoLayout.Root, "artifacts", "test-results", "fault-convergence.md");
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.AppendAllText(file, line + Environment.NewLine);
        }
    }
}

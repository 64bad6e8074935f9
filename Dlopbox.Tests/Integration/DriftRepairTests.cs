using System.Diagnostics;
using System.Net.Http.Json;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// The replica is a mirror: a change someone else makes in it (not the client) is put back to the master's
/// state within seconds, its path is logged, and the repair is counted in the client's report.
/// </summary>
[Collection(SystemCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DriftRepairTests(SyncSystemFixture system, ITestOutputHelper output)
{
    private string Master(string relative) => Path.Combine(system.MasterDir, relative);

    private string Replica(string relative) => Path.Combine(system.ReplicaDir, relative);

    [Fact]
    public async Task Local_changes_to_the_replica_are_put_back_and_counted()
    {
        Directory.CreateDirectory(Master("drift"));
        foreach (var file in new[] { "overwritten", "deleted", "chmodded", "linked" })
            await File.WriteAllTextAsync(Master($"drift/{file}.txt"), $"the master's {file}\n");
        File.SetUnixFileMode(Master("drift/chmodded.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await system.AssertConvergedAsync();
        await DriftLog.PastOwnWritesAsync();

        await RepairedAsync("drift/overwritten.txt", () => File.WriteAllText(Replica("drift/overwritten.txt"), "someone else's\n"));
        await RepairedAsync("drift/deleted.txt", () => File.Delete(Replica("drift/deleted.txt")));
        await RepairedAsync("drift/extra.txt", () => File.WriteAllText(Replica("drift/extra.txt"), "not the master's\n"));
        await RepairedAsync("drift/chmodded.txt", () => File.SetUnixFileMode(Replica("drift/chmodded.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite));
        await RepairedAsync("drift/linked.txt", () =>
        {
            File.Delete(Replica("drift/linked.txt"));
            File.CreateSymbolicLink(Replica("drift/linked.txt"), "/etc/passwd");
        });

        using var http = new HttpClient { BaseAddress = new Uri(system.System.Interface.Url) };
        var name = system.System.Clients[0].Name;
        await Eventually.TrueAsync(async () =>
        {
            var overview = await http.GetFromJsonAsync(WireNames.ClientsRoute, DlopboxJsonContext.Default.ClientsOverview);
            return overview?.Clients.FirstOrDefault(client => client.Name == name)?.Progress.Repaired > 0;
        }, TimeSpan.FromSeconds(30), $"GET /clients reports repairs for {name}");
    }

    private async Task RepairedAsync(string path, Action drift)
    {
        var clock = Stopwatch.StartNew();
        drift();
        await system.AssertConvergedAsync();
        output.WriteLine($"put back {path} in {clock.Elapsed.TotalMilliseconds:0} ms");
        await DriftLog.LoggedAsync(system.System.Clients[0], path);
    }
}

/// <summary>The client's log, read while it is being written (it reaches the file through a pipe).</summary>
internal static class DriftLog
{
    public static Task LoggedAsync(ServiceProcess client, string path) =>
        Eventually.TrueAsync(() => Read(client).Contains($"Local change to {path} in the replica", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), $"{client.Name} logged the local change to {path}");

    /// <summary>
    /// Setup, not an assertion: the client takes a change to a path it wrote itself in the last
    /// <see cref="Dlopbox.Client.Drift.OwnWrites.Window"/> for its own (its inotify events come late), so the
    /// tests change files only once the client's sync of them is that old.
    /// </summary>
    public static Task PastOwnWritesAsync() => Task.Delay(Dlopbox.Client.Drift.OwnWrites.Window + TimeSpan.FromMilliseconds(500));

    public static string Read(ServiceProcess client)
    {
        using var stream = new FileStream(client.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>A system whose client keeps files the master does not have (<c>Client:KeepLocalFiles</c>).</summary>
public sealed class KeepLocalFilesFixture() : EmbeddedSystemFixture("keep-local")
{
    protected override EmbeddedSystemOptions Configure(EmbeddedSystemOptions options) => options with
    {
        ServiceEnvironment = new Dictionary<string, string?> { ["Client__KeepLocalFiles"] = "true" },
    };
}

[CollectionDefinition(Name)]
public sealed class KeepLocalFilesCollection : ICollectionFixture<KeepLocalFilesFixture>
{
    public const string Name = "keep-local-files";
}

[Collection(KeepLocalFilesCollection.Name)]
public sealed class KeepLocalFilesTests(KeepLocalFilesFixture system)
{
    [Fact]
    public async Task An_extra_local_file_is_kept_while_a_modified_one_is_put_back()
    {
        var master = Path.Combine(system.MasterDir, "keep");
        var replica = Path.Combine(system.ReplicaDir, "keep");
        Directory.CreateDirectory(master);
        await File.WriteAllTextAsync(Path.Combine(master, "theirs.txt"), "the master's\n");
        await TreeAssert.ConvergesAsync(system.MasterDir, system.ReplicaDir, TimeSpan.FromSeconds(60));
        await DriftLog.PastOwnWritesAsync();

        Directory.CreateDirectory(Path.Combine(replica, "my-dir"));
        await File.WriteAllTextAsync(Path.Combine(replica, "my-dir", "notes.txt"), "mine\n");
        await File.WriteAllTextAsync(Path.Combine(replica, "mine.txt"), "mine\n");
        // Changed last: once it is put back, a reconcile has run since the extras appeared.
        await File.WriteAllTextAsync(Path.Combine(replica, "theirs.txt"), "changed locally\n");

        await Eventually.TrueAsync(() => File.ReadAllText(Path.Combine(replica, "theirs.txt")) == "the master's\n",
            TimeSpan.FromSeconds(60), "keep/theirs.txt put back");
        await DriftLog.LoggedAsync(system.System.Clients[0], "keep/theirs.txt");
        Assert.Equal("mine\n", await File.ReadAllTextAsync(Path.Combine(replica, "mine.txt")));
        Assert.Equal("mine\n", await File.ReadAllTextAsync(Path.Combine(replica, "my-dir", "notes.txt")));

        // The master's own changes still arrive beside the extras.
        await File.WriteAllTextAsync(Path.Combine(master, "later.txt"), "later\n");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(replica, "later.txt")), TimeSpan.FromSeconds(60), "keep/later.txt synced");
        Assert.True(File.Exists(Path.Combine(replica, "mine.txt")));
    }
}

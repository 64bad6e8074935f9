using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using Dlopbox.Tests.Integration;
using Xunit.Abstractions;
using static Dlopbox.Tests.Faults.FaultAssert;

namespace Dlopbox.Tests.Faults;

/// <summary>A system of its own: the test deletes its broker's data, which no other test could live with.</summary>
public sealed class BrokerDataLossSystemFixture() : EmbeddedSystemFixture("broker-data-loss")
{
    public override IReadOnlyList<string> ReplicaDirs => [Path.Combine(Root, "replica-1"), Path.Combine(Root, "replica-2")];

    public string StateFile(ServiceProcess client) => Path.Combine(Root, "state", client.Name, "client-state.json");
}

/// <summary>
/// Issue 11 item 6: the broker loses its data (a deleted volume) under a running system. The stream comes back
/// empty with offsets from 0; every service must see that it is a new stream (a new epoch) and not a stream that
/// has nothing new: the watcher sends the master again, the Interface rebuilds its index and event log, and the
/// clients follow the new stream from its start, one running throughout, one stopped meanwhile with a saved
/// offset far beyond the new stream's end. Unchanged files are not downloaded again.
/// </summary>
public sealed class BrokerDataLossTests(BrokerDataLossSystemFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerDataLossSystemFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private EmbeddedSystem System => fixture.System;

    [Fact]
    public async Task A_broker_that_lost_its_data_gets_the_whole_master_again_and_every_replica_converges()
    {
        var master = fixture.MasterDir;
        for (var i = 0; i < 30; i++)
            await WriteAsync(master, $"tree/d{i % 5}/f{i}.txt", $"file {i}\n");
        await WriteAsync(master, "stay.txt", "unchanged\n");
        await WriteAsync(master, "gone.txt", "deleted while the broker is away\n");
        await WriteAsync(master, "changed.txt", "old\n");
        await WriteAsync(master, "bin/run.sh", "#!/bin/sh\necho hi\n");
        using (var script = File.OpenHandle(Path.Combine(master, "bin/run.sh"), FileMode.Open, FileAccess.Write))
            Dlopbox.FileSystem.FileModes.SetPermissions(script, 0x1ED); // 0755
        File.CreateSymbolicLink(Path.Combine(master, "link"), "tree/d1");
        // Many versions of one file: the offsets the clients save run far beyond what the new stream will hold.
        for (var i = 0; i < 150; i++)
        {
            await WriteAsync(master, "counter.txt", $"version {i}\n");
            await Task.Delay(5);
        }
        await ConvergesAsync(master, fixture.ReplicaDirs, Timeout);

        using var http = new HttpClient { BaseAddress = new Uri(System.Interface.Url) };
        var before = (await http.GetFromJsonAsync("/snapshot", DlopboxJsonContext.Default.Snapshot))!;
        Assert.NotNull(before.Epoch);
        var client1 = System.Clients[0];
        var client2 = System.Clients[1];
        await Eventually.TrueAsync(() => ReadState(client1) is { Offset: var o } && o >= before.Offset, Timeout, "client-1 saved its offset");
        var savedBefore = ReadState(client1)!;
        Assert.Equal(before.Epoch, savedBefore.Epoch);

        // client-2 is away during all of it, with its saved offset of the old stream.
        await client2.StopAsync();
        var marks = System.Services.ToDictionary(s => s.Name, LogMark);
        var accessMark = System.Files.ReadAccessLog().Count;

        await System.Broker.StopAsync();
        Directory.Delete(System.Broker.DataDir, recursive: true);
        // While it is gone: changes the new stream must carry, including a delete of a path it never saw.
        File.Delete(Path.Combine(master, "gone.txt"));
        await WriteAsync(master, "changed.txt", "new\n");
        await WriteAsync(master, "added.txt", "added while the broker is away\n");
        await System.Broker.StartAgainAsync(CancellationToken.None);

        var clock = Stopwatch.StartNew();
        await ConvergesAsync(master, [fixture.ReplicaDirs[0]], Timeout);
        ConvergenceTimes.Record(output, "11.6 broker data deleted, running client", clock.Elapsed, "from broker start");
        client2.Start();
        await client2.WaitHealthyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        clock.Restart();
        await ConvergesAsync(master, [fixture.ReplicaDirs[1]], Timeout);
        ConvergenceTimes.Record(output, "11.6 broker data deleted, client started afterwards", clock.Elapsed, "from client start");

        // The Interface's index is the master again, on the new stream.
        var after = (await http.GetFromJsonAsync("/snapshot", DlopboxJsonContext.Default.Snapshot))!;
        Assert.NotNull(after.Epoch);
        Assert.NotEqual(before.Epoch, after.Epoch);
        Assert.True(after.Offset < savedBefore.Offset, $"the new stream's head {after.Offset} is below the old one's {savedBefore.Offset}");
        // Every name in the master, not through the link (the index holds "link" itself, a symlink, not what it points to).
        var masterPaths = Directory.EnumerateFileSystemEntries(master, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(master, p)).Where(p => !p.StartsWith("link/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(masterPaths, after.Entries.Select(e => e.Path).Order(StringComparer.Ordinal).ToList());

        // The event log was rebuilt from the new stream: its history has the new offsets only.
        var history = (await http.GetFromJsonAsync("/events?limit=1000", DlopboxJsonContext.Default.EventPage))!;
        Assert.All(history.Events, e => Assert.True(e.Offset <= after.Offset));
        Assert.Contains(history.Events, e => e.Change is { Kind: ChangeKind.Delete, Path: "gone.txt" });

        // Both clients follow the new stream and saved its epoch with their offsets.
        await Eventually.TrueAsync(() => ReadState(client1)?.Epoch == after.Epoch && ReadState(client2)?.Epoch == after.Epoch, Timeout,
            "both clients saved the new epoch");
        await LogOnceItSaysAsync(System.Interface, marks[System.Interface.Name], "is new");
        await LogOnceItSaysAsync(System.Watcher, marks[System.Watcher.Name], "is new");
        await LogOnceItSaysAsync(client1, marks[client1.Name], "is new");

        // What did not change is not downloaded again: the replicas already hold it.
        var fetched = DownloadsSince(System.Files, accessMark, client1).Concat(DownloadsSince(System.Files, accessMark, client2)).ToList();
        output.WriteLine($"downloads after the loss: {string.Join(", ", fetched)}");
        Assert.DoesNotContain(fetched, p => p == "stay.txt" || p.StartsWith("tree/", StringComparison.Ordinal));
        Assert.Contains(fetched, p => p == "added.txt");
    }

    private SavedState? ReadState(ServiceProcess client)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(fixture.StateFile(client)));
            var root = json.RootElement;
            return new SavedState(root.GetProperty("offset").GetInt64(),
                root.TryGetProperty("epoch", out var epoch) && epoch.ValueKind == JsonValueKind.String ? epoch.GetString() : null);
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static async Task WriteAsync(string root, string relative, string content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, content);
    }

    private sealed record SavedState(long Offset, string? Epoch);
}

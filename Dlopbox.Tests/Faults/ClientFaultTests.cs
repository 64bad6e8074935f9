using System.Diagnostics;
using System.Net.Http.Json;
using Dlopbox.Embedded;
using Xunit.Abstractions;
using static Dlopbox.Tests.Faults.FaultAssert;

namespace Dlopbox.Tests.Faults;

/// <summary>Clients killed, stopped, kept away and started without state: each comes back equal to the master without fetching what it already has.</summary>
[Collection(FaultCollection.Name)]
public sealed class ClientFaultTests(FaultSystemFixture fixture, ITestOutputHelper output)
{
    private EmbeddedSystem System => fixture.System;

    [Fact]
    public async Task S01_A_client_killed_mid_sync_of_5000_files_resumes_without_fetching_again_what_it_had()
    {
        const string dir = "s01";
        var replica = fixture.Replica(fixture.Client1);
        var writing = WriteBurstAsync(fixture.MasterDir, dir, 5000, seed: 1);
        await Eventually.TrueAsync(() => FilesUnder(replica, dir).Count >= 1000, TimeSpan.FromSeconds(90), "client-1 fetched 1000 of the 5000 files");
        await fixture.Client1.KillAsync();
        var atKill = FilesUnder(replica, dir);
        var complete = atKill.Where(p => !IsTemp(p)).ToHashSet(StringComparer.Ordinal);
        var leftovers = atKill.Count(IsTemp);
        Assert.True(complete.Count < 5000, "the client had everything before it was killed: nothing to resume");
        // What a kill during a download leaves behind, made certain (the real ones above depend on timing).
        await File.WriteAllTextAsync(Path.Combine(replica, dir, "d000", ".dlopbox-tmp-0123456789abcdef"), "half a file");
        var savedOffset = SavedOffset(fixture.StateFile(fixture.Client1));
        var accessMark = System.Files.ReadAccessLog().Count;
        var logMark = LogMark(fixture.Client1);
        await writing;

        var clock = Stopwatch.StartNew();
        await fixture.StartAsync(fixture.Client1);
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "1 client SIGKILL mid 5,000-file sync", clock.Elapsed,
            $"{complete.Count} files complete at kill, {leftovers} temp files left by the kill (+1 planted)");

        var log = await LogOnceItSaysAsync(fixture.Client1, logMark, "resuming at offset");
        Assert.Contains($"resuming at offset {savedOffset}", log);
        Assert.DoesNotContain("has no state", log);
        var downloads = DownloadsSince(System.Files, accessMark, fixture.Client1);
        Assert.DoesNotContain(downloads, complete.Contains);
        Assert.Equal(5000 - complete.Count, downloads.Where(p => p.StartsWith(dir + "/", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Count());
        // A file is fetched again only for a write of its own: the scan of a just-created dir can report a
        // file still being written, and its close-write then reports it once more (two writes, two fetches).
        var fetchedAgain = downloads.GroupBy(p => p, StringComparer.Ordinal).Where(g => g.Count() > 1).ToList();
        output.WriteLine($"{fetchedAgain.Count} files fetched more than once after the restart: {string.Join(", ", fetchedAgain.Select(g => g.Key))}");
        foreach (var twice in fetchedAgain)
            await Eventually.TrueAsync(async () => await WritesAfterAsync(twice.Key, savedOffset) >= twice.Count(), TimeSpan.FromSeconds(30),
                $"{twice.Key} was fetched {twice.Count()} times after the restart, but the event log has fewer writes of it after offset {savedOffset}");
    }

    /// <summary>How many writes of <paramref name="path"/> the event log holds after <paramref name="offset"/>.</summary>
    private async Task<int> WritesAfterAsync(string path, long offset)
    {
        using var http = new HttpClient { BaseAddress = new Uri(System.Interface.Url) };
        var page = await http.GetFromJsonAsync($"/events?path={Uri.EscapeDataString(path)}&kind=write&after={offset}&order=asc",
            Dlopbox.Contracts.DlopboxJsonContext.Default.EventPage);
        return page!.Events.Count;
    }

    [Fact]
    public async Task S02_A_client_offline_while_the_master_changes_fetches_only_what_changed()
    {
        const string dir = "s02";
        Directory.CreateDirectory(fixture.Master($"{dir}/keep"));
        Directory.CreateDirectory(fixture.Master($"{dir}/tree/sub"));
        Directory.CreateDirectory(fixture.Master($"{dir}/change"));
        for (var i = 0; i < 100; i++)
            await File.WriteAllTextAsync(fixture.Master($"{dir}/keep/k{i}.txt"), $"keep {i}\n");
        for (var i = 0; i < 30; i++)
            await File.WriteAllTextAsync(fixture.Master($"{dir}/tree/sub/t{i}.txt"), $"tree {i}\n");
        for (var i = 0; i < 10; i++)
        {
            await File.WriteAllTextAsync(fixture.Master($"{dir}/change/overwrite{i}.txt"), $"old {i}\n");
            await File.WriteAllTextAsync(fixture.Master($"{dir}/change/delete{i}.txt"), $"doomed {i}\n");
        }
        await fixture.ConvergeAsync();

        await fixture.Client1.StopAsync();
        Assert.Equal(0, fixture.Client1.LastExitCode);
        var accessMark = System.Files.ReadAccessLog().Count;
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 10; i++)
        {
            await File.WriteAllTextAsync(fixture.Master($"{dir}/change/overwrite{i}.txt"), $"new content {i}, longer\n");
            File.Delete(fixture.Master($"{dir}/change/delete{i}.txt"));
            await File.WriteAllTextAsync(fixture.Master($"{dir}/change/created{i}.txt"), $"created {i}\n");
            expected.Add($"{dir}/change/overwrite{i}.txt");
            expected.Add($"{dir}/change/created{i}.txt");
        }
        Directory.Move(fixture.Master($"{dir}/tree"), fixture.Master($"{dir}/tree-renamed"));
        // The other client following live proves every change is in the stream before client-1 returns.
        await FaultAssert.ConvergesAsync(fixture.MasterDir, [fixture.Replica(fixture.Client2)], DefaultTimeout);

        var clock = Stopwatch.StartNew();
        await fixture.StartAsync(fixture.Client1);
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "2 client offline during creates/overwrites/deletes/dir rename", clock.Elapsed, "20 files changed of 160");

        var downloads = DownloadsSince(System.Files, accessMark, fixture.Client1);
        Assert.Equal(expected.Order(StringComparer.Ordinal), downloads.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task S11_One_client_killed_repeatedly_does_not_stall_the_other()
    {
        const string dir = "s11";
        var writing = WriteBurstAsync(fixture.MasterDir, dir, 1500, seed: 11, pauseEvery50: TimeSpan.FromMilliseconds(100));
        for (var round = 0; round < 4; round++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1)); // the fault: client-2 runs a second, then dies
            await fixture.Client2.KillAsync();
            if (round < 3)
                fixture.Client2.Start();
        }
        await writing;

        // The survivor converges while the other one is down.
        var clock = Stopwatch.StartNew();
        var survivor = await FaultAssert.ConvergesAsync(fixture.MasterDir, [fixture.Replica(fixture.Client1)], DefaultTimeout);
        ConvergenceTimes.Record(output, "11 survivor while the other client is killed 4 times", survivor, "client-2 down");

        clock.Restart();
        await fixture.StartAsync(fixture.Client2);
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "11 killed client after its restart", clock.Elapsed);
    }

    [Fact]
    public async Task S12_A_client_without_state_against_a_correct_replica_of_10000_files_fetches_nothing()
    {
        const string dir = "s12";
        var missing = 10_000 - Directory.EnumerateFiles(fixture.MasterDir, "*", SearchOption.AllDirectories).Count();
        if (missing > 0)
            await WriteBurstAsync(fixture.MasterDir, dir, missing, seed: 12);
        await fixture.ConvergeAsync();

        await fixture.Client2.StopAsync();
        File.Delete(fixture.StateFile(fixture.Client2));
        var accessMark = System.Files.ReadAccessLog().Count;
        var logMark = LogMark(fixture.Client2);

        var clock = Stopwatch.StartNew();
        await fixture.StartAsync(fixture.Client2);
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "12 client restart without state, correct replica of >= 10,000 files", clock.Elapsed, "reconcile = metadata walk");

        Assert.Empty(DownloadsSince(System.Files, accessMark, fixture.Client2));
        Assert.Contains("has no state", await LogOnceItSaysAsync(fixture.Client2, logMark, "has no state"));
    }
}

using System.Net;
using System.Net.Http.Json;
using Dlopbox.Contracts;
using Microsoft.Data.Sqlite;

namespace Dlopbox.Tests.Integration;

/// <summary>The embedded event log (SQLite) on the real system: history queries, exactly-once storage through a store outage, and the index rebuilt from it.</summary>
[Collection(SystemCollection.Name)]
public sealed class EventLogTests(SyncSystemFixture system) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(system.System.Interface.Url) };

    private string Master(string relative) => Path.Combine(system.MasterDir, relative);

    private string EventLogFile => Path.Combine(system.Root, "state", "interface", "eventlog.db");

    [Fact]
    public async Task The_history_answers_by_path_prefix_kind_and_offset()
    {
        // The dir settles first: a file written into a dir created a moment earlier may also be reported
        // by the scan of that new dir, before its close-write (a second, harmless write in the log).
        Directory.CreateDirectory(Master("history/docs"));
        await system.AssertConvergedAsync();
        await File.WriteAllTextAsync(Master("history/docs/a.txt"), "v1");
        await system.AssertConvergedAsync();
        File.Move(Master("history/docs/a.txt"), Master("history/docs/b.txt"));
        await system.AssertConvergedAsync();
        var head = await StreamHeadAsync();
        await WaitForLogAsync(head);

        var byPath = await GetPageAsync("/events?path=history/docs/a.txt&order=asc");
        Assert.Equal([ChangeKind.Write, ChangeKind.Move], byPath.Events.Select(e => e.Change.Kind));
        Assert.Equal("history/docs/b.txt", byPath.Events[1].Change.Path);

        var moves = await GetPageAsync("/events?prefix=history&kind=move");
        Assert.Single(moves.Events);

        var one = await _http.GetFromJsonAsync($"/events/{moves.Events[0].Offset}", DlopboxJsonContext.Default.LoggedEvent);
        Assert.Equal(moves.Events[0], one);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/events/999999999")).StatusCode);

        // The operators' view: `dlopbox events` prints them as a table.
        var table = new StringWriter();
        Assert.Equal(0, await Dlopbox.Embedded.EventsCommand.RunAsync(["--interface", system.System.Interface.Url, "-n", "5", "--prefix", "history"], table));
        Assert.Contains("history/docs/a.txt → history/docs/b.txt", table.ToString());
        Assert.Contains("offset", table.ToString());

        var bad = await _http.GetAsync("/events?limit=100000&kind=explode");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Every_event_of_a_10k_file_burst_is_logged_exactly_once_through_a_store_outage()
    {
        var before = await StreamHeadAsync();
        // The outage: another connection holds the database's write lock, so every write of the log fails.
        await using (var outage = new SqliteConnection($"Data Source={EventLogFile};Pooling=False"))
        {
            await outage.OpenAsync();
            await using (var lockCommand = outage.CreateCommand())
            {
                lockCommand.CommandText = "BEGIN IMMEDIATE";
                await lockCommand.ExecuteNonQueryAsync();
            }
            await WriteBurstAsync("logburst", dirs: 100, filesPerDir: 100);
            // Let the burst reach the stream while the store is still down.
            await Eventually.TrueAsync(async () => await StreamHeadAsync() >= before + 10_000, TimeSpan.FromSeconds(120), "the burst reached the stream");
            await using var rollback = outage.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        await system.AssertConvergedAsync();
        var head = await StreamHeadAsync();
        await WaitForLogAsync(head);

        // Every offset of the burst is there, once: nothing missing, nothing twice.
        var offsets = new List<long>();
        long? after = before >= 0 ? before : null; // -1: an empty stream, so from its start (after=-1 is refused)
        do
        {
            var page = await GetPageAsync($"/events?order=asc&limit=1000&after={after}");
            offsets.AddRange(page.Events.Select(e => e.Offset));
            after = page.Next;
        }
        while (after is not null);
        Assert.Equal(Enumerable.Range(0, (int)(head - before)).Select(i => before + 1 + i), offsets);

        var writes = new HashSet<string>();
        after = null;
        do
        {
            var page = await GetPageAsync($"/events?prefix=logburst&kind=write&order=asc&limit=1000{(after is null ? "" : $"&after={after}")}");
            writes.UnionWith(page.Events.Select(e => e.Change.Path));
            after = page.Next;
        }
        while (after is not null);
        Assert.Equal(10_000, writes.Count);

        Directory.Delete(Master("logburst"), recursive: true);
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task A_restarted_interface_rebuilds_its_index_from_the_log_and_the_stream_after_it()
    {
        Directory.CreateDirectory(Master("rebuild"));
        await File.WriteAllTextAsync(Master("rebuild/kept.txt"), "kept");
        await system.AssertConvergedAsync();
        await WaitForLogAsync(await StreamHeadAsync());
        var before = await _http.GetFromJsonAsync("/snapshot", DlopboxJsonContext.Default.Snapshot);

        await system.System.Interface.StopAsync();
        system.System.Interface.Start();
        await system.System.Interface.WaitHealthyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);

        var after = await _http.GetFromJsonAsync("/snapshot", DlopboxJsonContext.Default.Snapshot);
        Assert.Equal(before!.Offset, after!.Offset);
        Assert.Equal(before.Entries, after.Entries);
        var log = await File.ReadAllTextAsync(system.System.Interface.LogFile);
        Assert.Contains("Loaded the stored index", log);

        // And the system still syncs through the new Interface.
        await File.WriteAllTextAsync(Master("rebuild/after.txt"), "after restart");
        await system.AssertConvergedAsync();
    }

    private async Task WriteBurstAsync(string root, int dirs, int filesPerDir)
    {
        var random = new Random(10_000);
        for (var d = 0; d < dirs; d++)
        {
            Directory.CreateDirectory(Master($"{root}/d{d}"));
            for (var f = 0; f < filesPerDir; f++)
            {
                var bytes = new byte[random.Next(1, 2048)];
                random.NextBytes(bytes);
                await File.WriteAllBytesAsync(Master($"{root}/d{d}/f{f}.bin"), bytes);
            }
        }
    }

    private async Task<long> StreamHeadAsync() =>
        (await _http.GetFromJsonAsync("/snapshot", DlopboxJsonContext.Default.Snapshot))!.Offset;

    /// <summary>Waits until the newest logged event is at <paramref name="head"/>.</summary>
    private Task WaitForLogAsync(long head) =>
        Eventually.TrueAsync(async () => (await GetPageAsync("/events?limit=1")).Events.FirstOrDefault()?.Offset >= head,
            TimeSpan.FromSeconds(120), $"the event log reached offset {head}");

    private async Task<EventPage> GetPageAsync(string url) =>
        (await _http.GetFromJsonAsync(url, DlopboxJsonContext.Default.EventPage))!;

    public void Dispose() => _http.Dispose();
}

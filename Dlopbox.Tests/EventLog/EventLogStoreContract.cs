using Dlopbox.Contracts;
using Dlopbox.Interface.EventLog;

namespace Dlopbox.Tests.EventLog;

/// <summary>
/// The contract every event log store keeps, run against each implementation: SQLite always, MongoDB
/// where a Docker engine can start a real mongod (skipped with the reason otherwise).
/// </summary>
public abstract class EventLogStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty store, or null with the reason it cannot be had here.</summary>
    protected abstract Task<(IEventLogStore? Store, string? Reason)> CreateStoreAsync();

    private async Task<IEventLogStore> StoreAsync()
    {
        var (store, reason) = await CreateStoreAsync();
        Skip.If(store is null, reason);
        await store!.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected static LoggedEvent Event(long offset, FileChange change, int secondsAfterT0 = 0) => new()
    {
        Offset = offset,
        Change = change,
        Source = "test-host",
        ReceivedAt = T0.AddSeconds(secondsAfterT0).AddTicks(1234567),
    };

    private static FileChange Write(string path, long size = 3) =>
        FileChange.Write(path, size, T0.AddTicks(7654321), new string('c', 64));

    private static List<LoggedEvent> History() =>
    [
        Event(0, FileChange.Mkdir("a"), 0),
        Event(1, Write("a/x.txt"), 10),
        Event(2, Write("ab.txt"), 20),
        Event(3, FileChange.MoveFile("a/x.txt", "b/x.txt", 3, T0, new string('c', 64)), 30),
        Event(4, FileChange.Delete("a", isDir: true), 40),
        Event(5, Write("b/y.txt"), 50),
    ];

    private static async Task<long[]> Offsets(IEventLogStore store, EventQuery query) =>
        (await store.QueryAsync(query, CancellationToken.None)).Events.Select(e => e.Offset).ToArray();

    [SkippableFact]
    public async Task An_empty_store_has_no_checkpoint_and_no_index()
    {
        var store = await StoreAsync();
        Assert.Equal(-1, await store.GetCheckpointAsync(CancellationToken.None));
        var index = await store.LoadIndexAsync(CancellationToken.None);
        Assert.Equal(-1, index.Offset);
        Assert.Empty(index.Entries);
    }

    [SkippableFact]
    public async Task A_fresh_store_has_no_epoch_and_a_reset_stores_one_that_round_trips()
    {
        var store = await StoreAsync();
        Assert.Null((await store.LoadIndexAsync(CancellationToken.None)).Epoch);
        await store.ResetAsync("epoch-1", CancellationToken.None);
        Assert.Equal("epoch-1", (await store.LoadIndexAsync(CancellationToken.None)).Epoch);
        await store.InitializeAsync(CancellationToken.None); // a restart keeps it
        Assert.Equal("epoch-1", (await store.LoadIndexAsync(CancellationToken.None)).Epoch);
        await store.ResetAsync(null, CancellationToken.None);
        Assert.Null((await store.LoadIndexAsync(CancellationToken.None)).Epoch);
    }

    [SkippableFact]
    public async Task A_reset_drops_events_index_and_checkpoint_and_the_log_starts_again_from_offset_0()
    {
        var store = await StoreAsync();
        await store.ResetAsync("old", CancellationToken.None);
        await store.AppendAsync(new EventLogBatch(History(), [new SnapshotEntry { Path = "b", IsDir = true, Offset = 3 }], [], 5),
            CancellationToken.None);

        await store.ResetAsync("new", CancellationToken.None);
        Assert.Equal(-1, await store.GetCheckpointAsync(CancellationToken.None));
        var index = await store.LoadIndexAsync(CancellationToken.None);
        Assert.Equal((-1L, 0, "new"), (index.Offset, index.Entries.Count, index.Epoch));
        Assert.Empty(await Offsets(store, new EventQuery()));
        Assert.Null(await store.GetAsync(3, CancellationToken.None));

        // The new stream's offsets restart at 0 and are stored, not ignored as replays.
        await store.AppendAsync(new EventLogBatch([Event(0, Write("n.txt"))], [], [], 0), CancellationToken.None);
        Assert.Equal("n.txt", (await store.GetAsync(0, CancellationToken.None))!.Change.Path);
        Assert.Equal(0, await store.GetCheckpointAsync(CancellationToken.None));
        Assert.Equal("new", (await store.LoadIndexAsync(CancellationToken.None)).Epoch);
    }

    [SkippableFact]
    public async Task Appending_again_never_duplicates_and_the_checkpoint_never_moves_back()
    {
        var store = await StoreAsync();
        var history = History();
        await store.AppendAsync(new EventLogBatch(history, [], [], 5), CancellationToken.None);
        await store.AppendAsync(new EventLogBatch(history[..3], [], [], 2), CancellationToken.None);

        Assert.Equal(new long[] { 5, 4, 3, 2, 1, 0 }, await Offsets(store, new EventQuery()));
        Assert.Equal(5, await store.GetCheckpointAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task An_event_round_trips_exactly()
    {
        var store = await StoreAsync();
        var original = History()[3];
        await store.AppendAsync(new EventLogBatch([original], [], [], 3), CancellationToken.None);
        Assert.Equal(original, await store.GetAsync(3, CancellationToken.None));
        Assert.Null(await store.GetAsync(99, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Queries_by_path_prefix_kind_and_time()
    {
        var store = await StoreAsync();
        await store.AppendAsync(new EventLogBatch(History(), [], [], 5), CancellationToken.None);

        // A path's history includes moves away from it.
        Assert.Equal(new long[] { 3, 1 }, await Offsets(store, new EventQuery { Path = "a/x.txt" }));
        // A prefix is a subtree: "a" is not "ab.txt".
        Assert.Equal(new long[] { 4, 3, 1, 0 }, await Offsets(store, new EventQuery { Prefix = "a" }));
        Assert.Equal(new long[] { 5, 3 }, await Offsets(store, new EventQuery { Prefix = "b" }));
        Assert.Equal(new long[] { 5, 2, 1 }, await Offsets(store, new EventQuery { Kind = ChangeKind.Write }));
        Assert.Equal(new long[] { 3, 2 }, await Offsets(store, new EventQuery { Since = T0.AddSeconds(20), Until = T0.AddSeconds(40) }));
        Assert.Equal(new long[] { 1, 3 }, await Offsets(store, new EventQuery { Path = "a/x.txt", Ascending = true }));
    }

    [SkippableFact]
    public async Task Pages_follow_the_cursor_both_ways()
    {
        var store = await StoreAsync();
        await store.AppendAsync(new EventLogBatch(History(), [], [], 5), CancellationToken.None);

        var first = await store.QueryAsync(new EventQuery { Limit = 4 }, CancellationToken.None);
        Assert.Equal([5, 4, 3, 2], first.Events.Select(e => e.Offset));
        Assert.Equal(2, first.Next);
        var second = await store.QueryAsync(new EventQuery { Limit = 4, After = first.Next }, CancellationToken.None);
        Assert.Equal([1, 0], second.Events.Select(e => e.Offset));
        Assert.Null(second.Next);

        var ascending = await store.QueryAsync(new EventQuery { Limit = 2, Ascending = true, After = 1 }, CancellationToken.None);
        Assert.Equal([2, 3], ascending.Events.Select(e => e.Offset));
        Assert.Equal(3, ascending.Next);
    }

    [SkippableFact]
    public async Task The_index_rows_and_checkpoint_round_trip()
    {
        var store = await StoreAsync();
        SnapshotEntry File(string path, long offset) => new() { Path = path, Size = 3, Mtime = T0.AddTicks(1), Sha256 = new string('d', 64), Offset = offset };
        SnapshotEntry Dir(string path, long offset) => new() { Path = path, IsDir = true, Offset = offset };

        await store.AppendAsync(new EventLogBatch([], [Dir("a", 0), File("a/x", 1), File("z", 2)], [], 2), CancellationToken.None);
        await store.AppendAsync(new EventLogBatch([], [Dir("b", 3), File("b/x", 3)], ["a", "a/x"], 3), CancellationToken.None);

        var index = await store.LoadIndexAsync(CancellationToken.None);
        Assert.Equal(3, index.Offset);
        Assert.Equal(["b", "b/x", "z"], index.Entries.Select(e => e.Path));
        Assert.Equal(File("b/x", 3), index.Entries[1]);
        Assert.Equal(Dir("b", 3), index.Entries[0]);
    }

    [SkippableFact]
    public async Task Symlinks_attribs_modes_and_nanosecond_mtimes_round_trip()
    {
        var store = await StoreAsync();
        var exact = new FileTime(1_800_000_000, 123_456_789);
        LoggedEvent[] events =
        [
            Event(0, FileChange.Write("f", 3, exact, new string('e', 64), mode: 0b111_101_101)),
            Event(1, FileChange.Symlink("l", "../somewhere/else", exact)),
            Event(2, FileChange.Attrib("f", isDir: false, mode: 0b110_000_000, exact)),
            Event(3, FileChange.MoveSymlink("l", "m", "../somewhere/else", exact)),
            Event(4, FileChange.Mkdir("d", mode: 0b111_000_000)),
        ];
        SnapshotEntry[] rows =
        [
            new() { Path = "d", IsDir = true, Mode = 0b111_000_000, Offset = 4 },
            new() { Path = "f", Size = 3, Mtime = exact, Sha256 = new string('e', 64), Mode = 0b110_000_000, Offset = 2 },
            new() { Path = "m", Mtime = exact, Target = "../somewhere/else", Offset = 3 },
        ];
        await store.AppendAsync(new EventLogBatch(events, rows, [], 4), CancellationToken.None);

        foreach (var e in events)
            Assert.Equal(e, await store.GetAsync(e.Offset, CancellationToken.None));
        Assert.Equal(rows, (await store.LoadIndexAsync(CancellationToken.None)).Entries);
    }
}

public sealed class SqliteEventLogStoreTests : EventLogStoreContract, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlopbox-sqlite-" + Guid.NewGuid().ToString("N")[..8]);

    protected override Task<(IEventLogStore? Store, string? Reason)> CreateStoreAsync() =>
        Task.FromResult<(IEventLogStore?, string?)>((new SqliteEventLogStore(Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".db")), null));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }
}

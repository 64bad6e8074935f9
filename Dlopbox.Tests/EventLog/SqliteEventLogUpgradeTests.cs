using Dlopbox.Contracts;
using Dlopbox.Interface.EventLog;
using Microsoft.Data.Sqlite;

namespace Dlopbox.Tests.EventLog;

public sealed class SqliteEventLogUpgradeTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "dlopbox-sqlite-old-" + Guid.NewGuid().ToString("N")[..8] + ".db");

    [Fact]
    public async Task A_log_written_by_an_older_dlopbox_is_read_with_its_100_ns_times_and_gains_the_new_columns()
    {
        var mtime = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).AddTicks(7654321);
        await using (var connection = new SqliteConnection($"Data Source={_file}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // The schema and rows of the previous release, which kept mtimes as .NET ticks.
            command.CommandText = $"""
                CREATE TABLE events (offset INTEGER PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, old_path TEXT,
                    is_dir INTEGER NOT NULL, size INTEGER, mtime_ticks INTEGER, sha256 TEXT, received_ticks INTEGER NOT NULL, source TEXT NOT NULL);
                CREATE TABLE files (path TEXT PRIMARY KEY, is_dir INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ticks INTEGER, sha256 TEXT,
                    offset INTEGER NOT NULL);
                CREATE TABLE checkpoints (name TEXT PRIMARY KEY, offset INTEGER NOT NULL);
                INSERT INTO events VALUES (0, 'write', 'f', NULL, 0, 3, {mtime.UtcTicks}, '{new string('c', 64)}', {mtime.UtcTicks}, 'old-host');
                INSERT INTO files VALUES ('f', 0, 3, {mtime.UtcTicks}, '{new string('c', 64)}', 0);
                INSERT INTO checkpoints VALUES ('event-log', 0);
                """;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteEventLogStore(_file);
        await store.InitializeAsync(CancellationToken.None);
        Assert.Equal((FileTime)mtime, (await store.GetAsync(0, CancellationToken.None))!.Change.Mtime);
        Assert.Equal((FileTime)mtime, (await store.LoadIndexAsync(CancellationToken.None)).Entries.Single().Mtime);
        // Written before stream epochs: its epoch is null, the legacy stream's, so it is not reset on a legacy stream.
        Assert.Null((await store.LoadIndexAsync(CancellationToken.None)).Epoch);

        // New rows next to the old ones keep their nanoseconds; an update of an old row replaces its ticks.
        var exact = new FileTime(1_800_000_000, 123_456_789);
        await store.AppendAsync(new EventLogBatch(
            [new LoggedEvent { Offset = 1, Change = FileChange.Write("f", 4, exact, new string('d', 64), mode: 0b110_100_100), Source = "new-host", ReceivedAt = mtime }],
            [new SnapshotEntry { Path = "f", Size = 4, Mtime = exact, Sha256 = new string('d', 64), Mode = 0b110_100_100, Offset = 1 }],
            [], 1), CancellationToken.None);
        await store.InitializeAsync(CancellationToken.None); // a second start changes nothing
        var row = (await store.LoadIndexAsync(CancellationToken.None)).Entries.Single();
        Assert.Equal((exact, 0b110_100_100), (row.Mtime!.Value, row.Mode!.Value));
        Assert.Equal(exact, (await store.GetAsync(1, CancellationToken.None))!.Change.Mtime);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _file, _file + "-wal", _file + "-shm" })
            File.Delete(file);
    }
}

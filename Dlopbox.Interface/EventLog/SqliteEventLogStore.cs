using Dlopbox.Contracts;
using Microsoft.Data.Sqlite;

namespace Dlopbox.Interface.EventLog;

/// <summary>
/// The embedded event log: one SQLite file (WAL) in the Interface's data dir. A batch is one
/// transaction, so events, index rows and checkpoint always agree.
/// </summary>
public sealed class SqliteEventLogStore : IEventLogStore
{
    private readonly string _connectionString;

    public SqliteEventLogStore(string databaseFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databaseFile))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databaseFile,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 5,
        }.ToString();
        DatabaseFile = databaseFile;
    }

    public string Name => "sqlite";

    public string DatabaseFile { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS events (
                offset INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                path TEXT NOT NULL,
                old_path TEXT,
                is_dir INTEGER NOT NULL,
                size INTEGER,
                mtime_ticks INTEGER,
                sha256 TEXT,
                received_ticks INTEGER NOT NULL,
                source TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS events_by_path ON events (path, offset);
            CREATE INDEX IF NOT EXISTS events_by_old_path ON events (old_path, offset) WHERE old_path IS NOT NULL;
            CREATE INDEX IF NOT EXISTS events_by_time ON events (received_ticks);
            CREATE TABLE IF NOT EXISTS files (
                path TEXT PRIMARY KEY,
                is_dir INTEGER NOT NULL,
                size INTEGER NOT NULL,
                mtime_ticks INTEGER,
                sha256 TEXT,
                offset INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, offset INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
            """, cancellationToken);
        // Columns added after the first release: a log written by an older dlopbox gains them (its rows keep
        // mtime_ticks, read as the 100 ns times they were).
        foreach (var table in new[] { "events", "files" })
        {
            foreach (var (column, type) in AddedColumns)
                await AddColumnIfMissingAsync(connection, table, column, type, cancellationToken);
        }
    }

    /// <summary>mtime: <see cref="FileTime"/> text (nanoseconds); mode: permission bits; target: a symlink's target.</summary>
    private static readonly (string Column, string Type)[] AddedColumns = [("mtime", "TEXT"), ("mode", "INTEGER"), ("target", "TEXT")];

    private static async Task AddColumnIfMissingAsync(SqliteConnection connection, string table, string column, string type,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if (await command.ExecuteScalarAsync(cancellationToken) is long and > 0)
            return;
        await ExecuteAsync(connection, $"ALTER TABLE {table} ADD COLUMN {column} {type}", cancellationToken);
    }

    private static object MtimeValue(FileTime? mtime) => (object?)mtime?.ToString() ?? DBNull.Value;

    /// <summary>The exact time when stored, else the 100 ns ticks an older dlopbox stored.</summary>
    private static FileTime? ReadMtime(SqliteDataReader reader, int textColumn, int ticksColumn) =>
        !reader.IsDBNull(textColumn) ? FileTime.Parse(reader.GetString(textColumn))
        : !reader.IsDBNull(ticksColumn) ? FileTime.FromDateTimeOffset(new DateTimeOffset(reader.GetInt64(ticksColumn), TimeSpan.Zero))
        : null;

    public async Task<long> GetCheckpointAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT offset FROM checkpoints WHERE name = 'event-log'";
        return await command.ExecuteScalarAsync(cancellationToken) is long offset ? offset : -1;
    }

    public async Task AppendAsync(EventLogBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT OR IGNORE INTO events (offset, kind, path, old_path, is_dir, size, mtime, sha256, received_ticks, source, mode, target)
                VALUES ($offset, $kind, $path, $old, $dir, $size, $mtime, $sha, $received, $source, $mode, $target)
                """;
            var p = AddParameters(insert, "$offset", "$kind", "$path", "$old", "$dir", "$size", "$mtime", "$sha", "$received", "$source",
                "$mode", "$target");
            foreach (var e in batch.Events)
            {
                p[0].Value = e.Offset;
                p[1].Value = EventLogFormat.KindName(e.Change.Kind);
                p[2].Value = e.Change.Path;
                p[3].Value = (object?)e.Change.OldPath ?? DBNull.Value;
                p[4].Value = e.Change.IsDir ? 1 : 0;
                p[5].Value = (object?)e.Change.Size ?? DBNull.Value;
                p[6].Value = MtimeValue(e.Change.Mtime);
                p[7].Value = (object?)e.Change.Sha256 ?? DBNull.Value;
                p[8].Value = e.ReceivedAt.UtcTicks;
                p[9].Value = e.Source;
                p[10].Value = (object?)e.Change.Mode ?? DBNull.Value;
                p[11].Value = (object?)e.Change.Target ?? DBNull.Value;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using (var delete = connection.CreateCommand())
        {
            delete.CommandText = "DELETE FROM files WHERE path = $path";
            var path = delete.Parameters.Add("$path", SqliteType.Text);
            foreach (var doomed in batch.DeleteFiles)
            {
                path.Value = doomed;
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using (var upsert = connection.CreateCommand())
        {
            upsert.CommandText = """
                INSERT INTO files (path, is_dir, size, mtime, sha256, offset, mode, target)
                VALUES ($path, $dir, $size, $mtime, $sha, $offset, $mode, $target)
                ON CONFLICT (path) DO UPDATE SET is_dir = excluded.is_dir, size = excluded.size, mtime = excluded.mtime,
                    mtime_ticks = NULL, sha256 = excluded.sha256, offset = excluded.offset, mode = excluded.mode, target = excluded.target
                """;
            var p = AddParameters(upsert, "$path", "$dir", "$size", "$mtime", "$sha", "$offset", "$mode", "$target");
            foreach (var f in batch.UpsertFiles)
            {
                p[0].Value = f.Path;
                p[1].Value = f.IsDir ? 1 : 0;
                p[2].Value = f.Size;
                p[3].Value = MtimeValue(f.Mtime);
                p[4].Value = (object?)f.Sha256 ?? DBNull.Value;
                p[5].Value = f.Offset;
                p[6].Value = (object?)f.Mode ?? DBNull.Value;
                p[7].Value = (object?)f.Target ?? DBNull.Value;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using (var checkpoint = connection.CreateCommand())
        {
            checkpoint.CommandText = """
                INSERT INTO checkpoints (name, offset) VALUES ('event-log', $offset)
                ON CONFLICT (name) DO UPDATE SET offset = max(offset, excluded.offset)
                """;
            checkpoint.Parameters.AddWithValue("$offset", batch.Checkpoint);
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<Snapshot> LoadIndexAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // One read transaction: in WAL mode both reads see the same commit, so rows and checkpoint agree.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var checkpointCommand = connection.CreateCommand();
        checkpointCommand.CommandText = "SELECT offset FROM checkpoints WHERE name = 'event-log'";
        var checkpoint = await checkpointCommand.ExecuteScalarAsync(cancellationToken) is long offset ? offset : -1;

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT path, is_dir, size, mtime_ticks, sha256, offset, mtime, mode, target FROM files";
        var entries = new List<SnapshotEntry>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(new SnapshotEntry
                {
                    Path = reader.GetString(0),
                    IsDir = reader.GetInt64(1) != 0,
                    Size = reader.GetInt64(2),
                    Mtime = ReadMtime(reader, textColumn: 6, ticksColumn: 3),
                    Sha256 = reader.IsDBNull(4) ? null : reader.GetString(4),
                    Offset = reader.GetInt64(5),
                    Mode = reader.IsDBNull(7) ? null : (int)reader.GetInt64(7),
                    Target = reader.IsDBNull(8) ? null : reader.GetString(8),
                });
            }
        }
        // A log written before epochs has no such row (nor, before InitializeAsync, the table): its epoch is null.
        await using var epochCommand = connection.CreateCommand();
        epochCommand.CommandText = $"SELECT value FROM meta WHERE name = '{EpochRow}'";
        var epoch = await epochCommand.ExecuteScalarAsync(cancellationToken) as string;
        await transaction.CommitAsync(cancellationToken);
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new Snapshot(checkpoint, entries, epoch);
    }

    public async Task ResetAsync(string? epoch, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // One transaction: a crash half-way leaves the old log whole, with its old epoch, and the reset is done again.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "DELETE FROM events; DELETE FROM files; DELETE FROM checkpoints WHERE name = 'event-log';",
            cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"""
                INSERT INTO meta (name, value) VALUES ('{EpochRow}', $epoch)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """;
            command.Parameters.AddWithValue("$epoch", (object?)epoch ?? DBNull.Value);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The <c>meta</c> row holding the stream epoch the log was read from.</summary>
    private const string EpochRow = "stream-epoch";

    public async Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.Path is { } path)
        {
            where.Add("(path = $path OR old_path = $path)");
            command.Parameters.AddWithValue("$path", path);
        }
        if (query.Prefix is { } prefix)
        {
            // A subtree is one range in byte order: [prefix + "/", prefix + "0"), '0' being the byte after '/'.
            where.Add("""
                (path = $prefix OR (path >= $lower AND path < $upper)
                 OR old_path = $prefix OR (old_path >= $lower AND old_path < $upper))
                """);
            command.Parameters.AddWithValue("$prefix", prefix);
            command.Parameters.AddWithValue("$lower", prefix + "/");
            command.Parameters.AddWithValue("$upper", prefix + "0");
        }
        if (query.Kind is { } kind)
        {
            where.Add("kind = $kind");
            command.Parameters.AddWithValue("$kind", EventLogFormat.KindName(kind));
        }
        if (query.Since is { } since)
        {
            where.Add("received_ticks >= $since");
            command.Parameters.AddWithValue("$since", since.UtcTicks);
        }
        if (query.Until is { } until)
        {
            where.Add("received_ticks < $until");
            command.Parameters.AddWithValue("$until", until.UtcTicks);
        }
        if (query.After is { } after)
        {
            where.Add(query.Ascending ? "offset > $after" : "offset < $after");
            command.Parameters.AddWithValue("$after", after);
        }
        command.CommandText = $"""
            SELECT offset, kind, path, old_path, is_dir, size, mtime_ticks, sha256, received_ticks, source, mtime, mode, target FROM events
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            ORDER BY offset {(query.Ascending ? "ASC" : "DESC")}
            LIMIT {query.Limit + 1}
            """;
        var events = await ReadEventsAsync(command, cancellationToken);
        return EventLogFormat.Page(events, query.Limit);
    }

    public async Task<LoggedEvent?> GetAsync(long offset, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT offset, kind, path, old_path, is_dir, size, mtime_ticks, sha256, received_ticks, source, mtime, mode, target FROM events WHERE offset = $offset";
        command.Parameters.AddWithValue("$offset", offset);
        return (await ReadEventsAsync(command, cancellationToken)).SingleOrDefault();
    }

    private static async Task<List<LoggedEvent>> ReadEventsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var events = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new LoggedEvent
            {
                Offset = reader.GetInt64(0),
                Change = new FileChange
                {
                    Kind = EventLogFormat.ParseKind(reader.GetString(1)),
                    Path = reader.GetString(2),
                    OldPath = reader.IsDBNull(3) ? null : reader.GetString(3),
                    IsDir = reader.GetInt64(4) != 0,
                    Size = reader.IsDBNull(5) ? null : reader.GetInt64(5),
                    Mtime = ReadMtime(reader, textColumn: 10, ticksColumn: 6),
                    Sha256 = reader.IsDBNull(7) ? null : reader.GetString(7),
                    Mode = reader.IsDBNull(11) ? null : (int)reader.GetInt64(11),
                    Target = reader.IsDBNull(12) ? null : reader.GetString(12),
                },
                ReceivedAt = new DateTimeOffset(reader.GetInt64(8), TimeSpan.Zero),
                Source = reader.GetString(9),
            });
        }
        return events;
    }

    /// <summary>Parameters created once and refilled per row: one prepared statement for the whole batch.</summary>
    private static SqliteParameter[] AddParameters(SqliteCommand command, params string[] names) =>
        names.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;", cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override string ToString() => $"sqlite:{DatabaseFile}";
}

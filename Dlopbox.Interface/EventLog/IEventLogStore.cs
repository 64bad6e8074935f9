using Dlopbox.Contracts;

namespace Dlopbox.Interface.EventLog;

/// <summary>
/// Where every event is kept for history, with the index of the master tree as of the writer's
/// checkpoint. Two implementations share one contract (and one test suite): MongoDB for deployments,
/// SQLite as the embedded default.
/// </summary>
public interface IEventLogStore
{
    /// <summary>Name for logs and health (<c>mongodb</c>, <c>sqlite</c>).</summary>
    string Name { get; }

    /// <summary>Creates tables/collections and indexes when missing. Safe to call again after an outage.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Offset of the last event stored with its index changes; -1 when empty.</summary>
    Task<long> GetCheckpointAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores the batch's events (an offset already present is left as it is, so a replay never
    /// duplicates), applies its index changes and moves the checkpoint forward (never back).
    /// </summary>
    Task AppendAsync(EventLogBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// The stored index of the master tree; its offset is the checkpoint, its epoch the stream's the log was read
    /// from (null for a log written before epochs, or a fresh one).
    /// </summary>
    Task<Snapshot> LoadIndexAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Starts the log again for the stream of <paramref name="epoch"/> (its offsets restart at 0): drops every
    /// event and index row, puts the checkpoint back to -1 and stores the epoch.
    /// </summary>
    Task ResetAsync(string? epoch, CancellationToken cancellationToken);

    Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken);

    Task<LoggedEvent?> GetAsync(long offset, CancellationToken cancellationToken);
}

/// <summary>
/// Events to store, and the index rows they changed: <see cref="UpsertFiles"/> and <see cref="DeleteFiles"/>
/// are disjoint and describe the index after the whole batch, as of <see cref="Checkpoint"/>.
/// </summary>
public sealed record EventLogBatch(
    IReadOnlyList<LoggedEvent> Events,
    IReadOnlyList<SnapshotEntry> UpsertFiles,
    IReadOnlyList<string> DeleteFiles,
    long Checkpoint);

/// <summary>A history query. Path and prefix match a change's path or its old path (so a move shows in both histories).</summary>
public sealed record EventQuery
{
    public const int MaxLimit = 1000;

    /// <summary>Exactly this path.</summary>
    public string? Path { get; init; }

    /// <summary>This path and everything below it.</summary>
    public string? Prefix { get; init; }

    public ChangeKind? Kind { get; init; }

    /// <summary>Received at or after.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Received before.</summary>
    public DateTimeOffset? Until { get; init; }

    public int Limit { get; init; } = 100;

    /// <summary>Cursor: offsets after this one in the order asked for (below it when newest first).</summary>
    public long? After { get; init; }

    /// <summary>By offset, oldest first; otherwise newest first.</summary>
    public bool Ascending { get; init; }
}

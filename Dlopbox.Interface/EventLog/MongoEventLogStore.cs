using System.Text.RegularExpressions;
using Dlopbox.Contracts;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Dlopbox.Interface.EventLog;

/// <summary>
/// The event log in MongoDB (deployments): collections <c>events</c> (offset as <c>_id</c>, indexes on
/// path, old path and time), <c>files</c> (the index of the master tree, path as <c>_id</c>) and
/// <c>checkpoints</c>, plus <c>meta</c> (the stream epoch; a log written before epochs has none: null). Without multi-document transactions (a standalone mongod has none) each step
/// is idempotent and the checkpoint moves last, so a batch interrupted half-way is simply applied again.
/// </summary>
public sealed class MongoEventLogStore(IMongoDatabase database) : IEventLogStore
{
    private const string CheckpointId = "event-log";
    private const string EpochId = "stream-epoch";
    private readonly IMongoCollection<BsonDocument> _events = database.GetCollection<BsonDocument>("events");
    private readonly IMongoCollection<BsonDocument> _files = database.GetCollection<BsonDocument>("files");
    private readonly IMongoCollection<BsonDocument> _checkpoints = database.GetCollection<BsonDocument>("checkpoints");
    private readonly IMongoCollection<BsonDocument> _meta = database.GetCollection<BsonDocument>("meta");

    public string Name => "mongodb";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var keys = Builders<BsonDocument>.IndexKeys;
        await _events.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<BsonDocument>(keys.Ascending("path").Ascending("_id"), new CreateIndexOptions { Name = "by_path" }),
            new CreateIndexModel<BsonDocument>(keys.Ascending("oldPath").Ascending("_id"), new CreateIndexOptions { Name = "by_old_path", Sparse = true }),
            new CreateIndexModel<BsonDocument>(keys.Ascending("receivedAt"), new CreateIndexOptions { Name = "by_time" }),
        ], cancellationToken);
    }

    public async Task<long> GetCheckpointAsync(CancellationToken cancellationToken)
    {
        var doc = await _checkpoints.Find(Builders<BsonDocument>.Filter.Eq("_id", CheckpointId)).FirstOrDefaultAsync(cancellationToken);
        return doc is null ? -1 : doc["offset"].ToInt64();
    }

    public async Task AppendAsync(EventLogBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Events.Count > 0)
        {
            // Upsert by _id keeps a replayed offset as it was (same content) instead of failing on duplicates.
            var inserts = batch.Events.Select(e => new ReplaceOneModel<BsonDocument>(
                Builders<BsonDocument>.Filter.Eq("_id", e.Offset), EventBsonMapper.ToBson(e))
            { IsUpsert = true });
            await _events.BulkWriteAsync(inserts, new BulkWriteOptions { IsOrdered = false }, cancellationToken);
        }

        var fileWrites = batch.DeleteFiles
            .Select(path => (WriteModel<BsonDocument>)new DeleteOneModel<BsonDocument>(Builders<BsonDocument>.Filter.Eq("_id", path)))
            .Concat(batch.UpsertFiles.Select(entry => new ReplaceOneModel<BsonDocument>(
                Builders<BsonDocument>.Filter.Eq("_id", entry.Path), EventBsonMapper.ToBson(entry))
            { IsUpsert = true }))
            .ToList();
        if (fileWrites.Count > 0)
            await _files.BulkWriteAsync(fileWrites, new BulkWriteOptions { IsOrdered = false }, cancellationToken);

        await _checkpoints.UpdateOneAsync(
            Builders<BsonDocument>.Filter.Eq("_id", CheckpointId),
            Builders<BsonDocument>.Update.Max("offset", batch.Checkpoint),
            new UpdateOptions { IsUpsert = true },
            cancellationToken);
    }

    public async Task<Snapshot> LoadIndexAsync(CancellationToken cancellationToken)
    {
        // The writer is single and paused while this runs at start, so checkpoint and rows agree.
        var checkpoint = await GetCheckpointAsync(cancellationToken);
        var docs = await _files.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(cancellationToken);
        var entries = docs.Select(EventBsonMapper.ToEntry).ToList();
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var meta = await _meta.Find(Builders<BsonDocument>.Filter.Eq("_id", EpochId)).FirstOrDefaultAsync(cancellationToken);
        return new Snapshot(checkpoint, entries, ReadEpoch(meta));
    }

    public async Task ResetAsync(string? epoch, CancellationToken cancellationToken)
    {
        // No transaction: the epoch moves last, so a reset interrupted half-way leaves the old epoch, which differs
        // from the stream's, and the writer resets again.
        await _checkpoints.DeleteOneAsync(Builders<BsonDocument>.Filter.Eq("_id", CheckpointId), cancellationToken);
        await _events.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken);
        await _files.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken);
        await _meta.ReplaceOneAsync(Builders<BsonDocument>.Filter.Eq("_id", EpochId),
            new BsonDocument { ["_id"] = EpochId, ["value"] = epoch is null ? BsonNull.Value : new BsonString(epoch) },
            new ReplaceOptions { IsUpsert = true }, cancellationToken);
    }

    private static string? ReadEpoch(BsonDocument? meta) =>
        meta is not null && meta.TryGetValue("value", out var value) && value.IsString ? value.AsString : null;

    public async Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var f = Builders<BsonDocument>.Filter;
        var filters = new List<FilterDefinition<BsonDocument>>();
        if (query.Path is { } path)
            filters.Add(f.Or(f.Eq("path", path), f.Eq("oldPath", path)));
        if (query.Prefix is { } prefix)
        {
            var subtree = new BsonRegularExpression("^" + Regex.Escape(prefix) + "(/|$)");
            filters.Add(f.Or(f.Regex("path", subtree), f.Regex("oldPath", subtree)));
        }
        if (query.Kind is { } kind)
            filters.Add(f.Eq("kind", EventLogFormat.KindName(kind)));
        if (query.Since is { } since)
            filters.Add(f.Gte("receivedTicks", since.UtcTicks));
        if (query.Until is { } until)
            filters.Add(f.Lt("receivedTicks", until.UtcTicks));
        if (query.After is { } after)
            filters.Add(query.Ascending ? f.Gt("_id", after) : f.Lt("_id", after));

        var docs = await _events.Find(filters.Count > 0 ? f.And(filters) : FilterDefinition<BsonDocument>.Empty)
            .Sort(query.Ascending ? Builders<BsonDocument>.Sort.Ascending("_id") : Builders<BsonDocument>.Sort.Descending("_id"))
            .Limit(query.Limit + 1)
            .ToListAsync(cancellationToken);
        return EventLogFormat.Page(docs.Select(EventBsonMapper.ToEvent).ToList(), query.Limit);
    }

    public async Task<LoggedEvent?> GetAsync(long offset, CancellationToken cancellationToken)
    {
        var doc = await _events.Find(Builders<BsonDocument>.Filter.Eq("_id", offset)).FirstOrDefaultAsync(cancellationToken);
        return doc is null ? null : EventBsonMapper.ToEvent(doc);
    }

    public override string ToString() => $"mongodb:{database.DatabaseNamespace.DatabaseName}";
}

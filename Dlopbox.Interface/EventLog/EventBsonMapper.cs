using Dlopbox.Contracts;
using MongoDB.Bson;

namespace Dlopbox.Interface.EventLog;

/// <summary>
/// How events and index entries look in MongoDB. Written by hand rather than by class maps so the
/// stored shape is explicit, stable and unit-tested: the offset is <c>_id</c>, times are BSON dates
/// plus exact ticks (BSON dates hold milliseconds only).
/// </summary>
public static class EventBsonMapper
{
    public static BsonDocument ToBson(LoggedEvent e)
    {
        var doc = new BsonDocument
        {
            ["_id"] = e.Offset,
            ["kind"] = EventLogFormat.KindName(e.Change.Kind),
            ["path"] = e.Change.Path,
            ["isDir"] = e.Change.IsDir,
            ["receivedAt"] = new BsonDateTime(e.ReceivedAt.UtcDateTime),
            ["receivedTicks"] = e.ReceivedAt.UtcTicks,
            ["source"] = e.Source,
        };
        if (e.Change.OldPath is { } oldPath)
            doc["oldPath"] = oldPath;
        if (e.Change.Size is { } size)
            doc["size"] = size;
        if (e.Change.Mtime is { } mtime)
            doc["mtimeTicks"] = mtime.UtcTicks;
        if (e.Change.Sha256 is { } sha)
            doc["sha256"] = sha;
        return doc;
    }

    public static LoggedEvent ToEvent(BsonDocument doc) => new()
    {
        Offset = doc["_id"].ToInt64(),
        Change = new FileChange
        {
            Kind = EventLogFormat.ParseKind(doc["kind"].AsString),
            Path = doc["path"].AsString,
            OldPath = doc.TryGetValue("oldPath", out var oldPath) ? oldPath.AsString : null,
            IsDir = doc["isDir"].AsBoolean,
            Size = doc.TryGetValue("size", out var size) ? size.ToInt64() : null,
            Mtime = doc.TryGetValue("mtimeTicks", out var mtime) ? new DateTimeOffset(mtime.ToInt64(), TimeSpan.Zero) : null,
            Sha256 = doc.TryGetValue("sha256", out var sha) ? sha.AsString : null,
        },
        ReceivedAt = new DateTimeOffset(doc["receivedTicks"].ToInt64(), TimeSpan.Zero),
        Source = doc["source"].AsString,
    };

    public static BsonDocument ToBson(SnapshotEntry entry)
    {
        var doc = new BsonDocument
        {
            ["_id"] = entry.Path,
            ["isDir"] = entry.IsDir,
            ["size"] = entry.Size,
            ["offset"] = entry.Offset,
        };
        if (entry.Mtime is { } mtime)
            doc["mtimeTicks"] = mtime.UtcTicks;
        if (entry.Sha256 is { } sha)
            doc["sha256"] = sha;
        return doc;
    }

    public static SnapshotEntry ToEntry(BsonDocument doc) => new()
    {
        Path = doc["_id"].AsString,
        IsDir = doc["isDir"].AsBoolean,
        Size = doc["size"].ToInt64(),
        Mtime = doc.TryGetValue("mtimeTicks", out var mtime) ? new DateTimeOffset(mtime.ToInt64(), TimeSpan.Zero) : null,
        Sha256 = doc.TryGetValue("sha256", out var sha) ? sha.AsString : null,
        Offset = doc["offset"].ToInt64(),
    };
}

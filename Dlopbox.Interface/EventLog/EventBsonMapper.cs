using Dlopbox.Contracts;
using MongoDB.Bson;

namespace Dlopbox.Interface.EventLog;

/// <summary>
/// How events and index entries look in MongoDB. Written by hand rather than by class maps so the
/// stored shape is explicit, stable and unit-tested: the offset is <c>_id</c>, times are BSON dates
/// plus exact ticks (BSON dates hold milliseconds only), file times their RFC 3339 text with nanoseconds
/// (<c>mtime</c>; documents of an older dlopbox have <c>mtimeTicks</c>, read as the 100 ns times they were).
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
        AddFileFields(doc, e.Change.Mtime, e.Change.Sha256, e.Change.Mode, e.Change.Target);
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
            Mtime = ReadMtime(doc),
            Sha256 = doc.TryGetValue("sha256", out var sha) ? sha.AsString : null,
            Mode = ReadMode(doc),
            Target = ReadTarget(doc),
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
        AddFileFields(doc, entry.Mtime, entry.Sha256, entry.Mode, entry.Target);
        return doc;
    }

    public static SnapshotEntry ToEntry(BsonDocument doc) => new()
    {
        Path = doc["_id"].AsString,
        IsDir = doc["isDir"].AsBoolean,
        Size = doc["size"].ToInt64(),
        Mtime = ReadMtime(doc),
        Sha256 = doc.TryGetValue("sha256", out var sha) ? sha.AsString : null,
        Offset = doc["offset"].ToInt64(),
        Mode = ReadMode(doc),
        Target = ReadTarget(doc),
    };

    private static void AddFileFields(BsonDocument doc, FileTime? mtime, string? sha256, int? mode, string? target)
    {
        if (mtime is { } time)
            doc["mtime"] = time.ToString();
        if (sha256 is { } sha)
            doc["sha256"] = sha;
        if (mode is { } bits)
            doc["mode"] = bits;
        if (target is { } link)
            doc["target"] = link;
    }

    private static FileTime? ReadMtime(BsonDocument doc) =>
        doc.TryGetValue("mtime", out var text) ? FileTime.Parse(text.AsString)
        : doc.TryGetValue("mtimeTicks", out var ticks) ? FileTime.FromDateTimeOffset(new DateTimeOffset(ticks.ToInt64(), TimeSpan.Zero))
        : null;

    private static int? ReadMode(BsonDocument doc) => doc.TryGetValue("mode", out var mode) ? mode.ToInt32() : null;

    private static string? ReadTarget(BsonDocument doc) => doc.TryGetValue("target", out var target) ? target.AsString : null;
}

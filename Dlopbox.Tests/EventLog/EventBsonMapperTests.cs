using Dlopbox.Contracts;
using Dlopbox.Interface.EventLog;
using MongoDB.Bson;

namespace Dlopbox.Tests.EventLog;

public class EventBsonMapperTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 23, 10, 11, 12, TimeSpan.Zero);

    [Fact]
    public void An_event_maps_to_the_documented_shape_and_back_with_tick_precision()
    {
        var original = new LoggedEvent
        {
            Offset = 42,
            Change = FileChange.MoveFile("old dir/ä.txt", "new/ä.txt", 12, When.AddTicks(1), new string('e', 64)),
            Source = "master-1",
            ReceivedAt = When.AddTicks(9_999_999),
        };
        var doc = EventBsonMapper.ToBson(original);

        Assert.Equal(42L, doc["_id"].AsInt64);
        Assert.Equal("move", doc["kind"].AsString);
        Assert.Equal("new/ä.txt", doc["path"].AsString);
        Assert.Equal("old dir/ä.txt", doc["oldPath"].AsString);
        Assert.Equal(12L, doc["size"].AsInt64);
        Assert.Equal(BsonType.DateTime, doc["receivedAt"].BsonType);
        Assert.Equal("master-1", doc["source"].AsString);
        Assert.Equal(original, EventBsonMapper.ToEvent(BsonDocument.Parse(doc.ToJson())));
    }

    [Fact]
    public void Absent_fields_are_left_out_not_stored_as_null()
    {
        var doc = EventBsonMapper.ToBson(new LoggedEvent { Offset = 1, Change = FileChange.Mkdir("d"), Source = "s", ReceivedAt = When });
        Assert.False(doc.Contains("oldPath"));
        Assert.False(doc.Contains("size"));
        Assert.False(doc.Contains("sha256"));
        Assert.True(doc["isDir"].AsBoolean);
    }

    [Fact]
    public void An_index_entry_round_trips()
    {
        var entry = new SnapshotEntry { Path = "a/b", Size = 5, Mtime = When.AddTicks(3), Sha256 = new string('f', 64), Offset = 7 };
        Assert.Equal(entry, EventBsonMapper.ToEntry(EventBsonMapper.ToBson(entry)));
    }
}

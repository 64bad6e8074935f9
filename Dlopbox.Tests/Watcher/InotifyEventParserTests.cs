using System.Buffers.Binary;
using System.Text;
using Dlopbox.FileSystem.Inotify;
using Dlopbox.Watcher.Sources.Inotify;

namespace Dlopbox.Tests.Watcher;

public class InotifyEventParserTests
{
    private static byte[] Event(int wd, InotifyMask mask, uint cookie, byte[]? name, int padTo = 0)
    {
        var length = name is null ? 0 : Math.Max(padTo, name.Length + 1);
        var buffer = new byte[InotifyEventParser.HeaderSize + length];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, wd);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), (uint)mask);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(12), (uint)length);
        name?.CopyTo(buffer, InotifyEventParser.HeaderSize);
        return buffer;
    }

    [Fact]
    public void Parses_consecutive_events_with_nul_padded_names()
    {
        var buffer = Event(1, InotifyMask.CloseWrite, 0, Encoding.UTF8.GetBytes("file.txt"), padTo: 16)
            .Concat(Event(2, InotifyMask.MovedFrom | InotifyMask.IsDir, 77, Encoding.UTF8.GetBytes("dïr ✓"), padTo: 32))
            .Concat(Event(3, InotifyMask.DeleteSelf, 0, null))
            .ToArray();
        var events = new List<InotifyEvent>();

        var consumed = InotifyEventParser.Parse(buffer, events);

        Assert.Equal(buffer.Length, consumed);
        Assert.Equal(
            [
                new InotifyEvent(1, InotifyMask.CloseWrite, 0, "file.txt"),
                new InotifyEvent(2, InotifyMask.MovedFrom | InotifyMask.IsDir, 77, "dïr ✓"),
                new InotifyEvent(3, InotifyMask.DeleteSelf, 0, null),
            ],
            events);
        Assert.True(events[1].IsDir);
    }

    [Fact]
    public void Flags_names_that_are_not_valid_utf8()
    {
        var events = new List<InotifyEvent>();

        InotifyEventParser.Parse(Event(1, InotifyMask.Create, 0, [0x61, 0xff, 0x62], padTo: 16), events);

        var e = Assert.Single(events);
        Assert.Null(e.Name);
        Assert.True(e.HasUndecodableName);
        Assert.Equal("a\uFFFDb", e.RawName);
    }

    [Fact]
    public void Stops_at_an_incomplete_event()
    {
        var whole = Event(1, InotifyMask.Delete, 0, Encoding.UTF8.GetBytes("x"), padTo: 16);
        var buffer = whole.Concat(whole.AsSpan(0, 20).ToArray()).ToArray();
        var events = new List<InotifyEvent>();

        Assert.Equal(whole.Length, InotifyEventParser.Parse(buffer, events));
        Assert.Single(events);
    }

    [Fact]
    public void Reads_the_queue_overflow_event()
    {
        var events = new List<InotifyEvent>();

        InotifyEventParser.Parse(Event(-1, InotifyMask.QueueOverflow, 0, null), events);

        Assert.Equal(new InotifyEvent(-1, InotifyMask.QueueOverflow, 0, null), Assert.Single(events));
    }
}

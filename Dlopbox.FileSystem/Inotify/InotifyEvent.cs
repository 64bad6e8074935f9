using System.Buffers.Binary;
using System.Text;

namespace Dlopbox.FileSystem.Inotify;

/// <summary>
/// One struct inotify_event. <see cref="Name"/> is null when the event has no name (it concerns the watched
/// dir itself, or the queue) or when the name is not valid UTF-8 (then <see cref="RawName"/> shows it lossily).
/// </summary>
public readonly record struct InotifyEvent(int Wd, InotifyMask Mask, uint Cookie, string? Name, string? RawName = null)
{
    public bool Has(InotifyMask flag) => (Mask & flag) != 0;

    public bool IsDir => Has(InotifyMask.IsDir);

    /// <summary>True when the event carried a name that is not valid UTF-8.</summary>
    public bool HasUndecodableName => Name is null && RawName is not null;
}

/// <summary>True for an event name (raw bytes, without the NUL padding) the reader does not want.</summary>
public delegate bool InotifyNameFilter(ReadOnlySpan<byte> name);

/// <summary>Parses what read(2) returns from an inotify fd: a run of struct inotify_event, names NUL-padded.</summary>
public static class InotifyEventParser
{
    /// <summary>sizeof(struct inotify_event) without the name: wd, mask, cookie, len.</summary>
    public const int HeaderSize = 16;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Appends every complete event in <paramref name="buffer"/> to <paramref name="events"/>, except those whose name
    /// <paramref name="skip"/> rejects (checked on the raw bytes, so an event nobody wants costs no string); returns the
    /// bytes consumed.
    /// </summary>
    public static int Parse(ReadOnlySpan<byte> buffer, List<InotifyEvent> events, InotifyNameFilter? skip = null)
    {
        var offset = 0;
        while (buffer.Length - offset >= HeaderSize)
        {
            var header = buffer.Slice(offset, HeaderSize);
            var wd = BinaryPrimitives.ReadInt32LittleEndian(header);
            var mask = (InotifyMask)BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            var cookie = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
            if (length > buffer.Length - offset - HeaderSize)
                break; // the kernel never splits an event; a short buffer is a caller's slice
            var nameBytes = buffer.Slice(offset + HeaderSize, (int)length);
            var end = nameBytes.IndexOf((byte)0);
            if (end >= 0)
                nameBytes = nameBytes[..end];
            if (skip is null || nameBytes.IsEmpty || !skip(nameBytes))
                events.Add(Decode(wd, mask, cookie, nameBytes));
            offset += HeaderSize + (int)length;
        }
        return offset;
    }

    private static InotifyEvent Decode(int wd, InotifyMask mask, uint cookie, ReadOnlySpan<byte> nameBytes)
    {
        if (nameBytes.IsEmpty)
            return new InotifyEvent(wd, mask, cookie, null);
        try
        {
            return new InotifyEvent(wd, mask, cookie, StrictUtf8.GetString(nameBytes));
        }
        catch (DecoderFallbackException)
        {
            return new InotifyEvent(wd, mask, cookie, null, Encoding.UTF8.GetString(nameBytes));
        }
    }
}

namespace Dlopbox.FileSystem.Inotify;

/// <summary>inotify event and watch flags (linux/inotify.h).</summary>
[Flags]
public enum InotifyMask : uint
{
    None = 0,
    Modify = 0x2,
    Attrib = 0x4,
    CloseWrite = 0x8,
    MovedFrom = 0x40,
    MovedTo = 0x80,
    Create = 0x100,
    Delete = 0x200,
    DeleteSelf = 0x400,
    MoveSelf = 0x800,
    Unmount = 0x2000,
    QueueOverflow = 0x4000,
    Ignored = 0x8000,
    OnlyDir = 0x0100_0000,
    DontFollow = 0x0200_0000,
    ExcludeUnlinked = 0x0400_0000,
    IsDir = 0x4000_0000,
}

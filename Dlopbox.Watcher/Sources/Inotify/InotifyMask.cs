namespace Dlopbox.Watcher.Sources.Inotify;

/// <summary>inotify event and watch flags (linux/inotify.h).</summary>
[Flags]
internal enum InotifyMask : uint
{
    None = 0,
    Modify = 0x2,
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

    /// <summary>
    /// What every directory watch asks for. Content is reported only on CloseWrite or MovedTo, never on
    /// Create or Modify (that is how partial files ship); Create is needed to watch new dirs at once.
    /// </summary>
    DirectoryWatch = CloseWrite | Create | Delete | MovedFrom | MovedTo | DeleteSelf | MoveSelf
        | OnlyDir | DontFollow | ExcludeUnlinked,
}

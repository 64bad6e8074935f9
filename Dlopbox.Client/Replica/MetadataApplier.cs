using Dlopbox.Contracts;

namespace Dlopbox.Client.Replica;

/// <summary>
/// Applies the events that carry no content to fetch: a symlink (created beside its name, stamped, renamed
/// over it; never followed) and an attrib (chmod, and a file's mtime). The caller has waited for the
/// downloads in flight of the path first, as for any local operation.
/// </summary>
internal sealed partial class MetadataApplier(ReplicaDirectory replica, UnresolvedFiles unresolved, LocalEventRunner runner, ILogger logger)
{
    public void Apply(long offset, FileChange change)
    {
        if (change.Kind == ChangeKind.Symlink)
            ApplySymlink(offset, change);
        else
            ApplyAttrib(offset, change);
    }

    private void ApplySymlink(long offset, FileChange change)
    {
        if (PathRules.CheckLinkTarget(change.Target) is { } problem)
        {
            runner.Malformed(offset, change, $"a symlink's target {problem}");
            return;
        }
        // Whatever was at the path (a file not yet fetched, a dir) is replaced by the link.
        unresolved.Remove(change.Path);
        runner.Run(offset, change, () =>
        {
            if (!replica.SetSymlink(change.Path, change.Target!, change.Mtime))
                LogAlreadyCurrent(logger, offset, change.Path);
        });
    }

    private void ApplyAttrib(long offset, FileChange change)
    {
        if (change.Mode is not { } mode || (mode & ~FileChange.PermissionBits) != 0)
        {
            runner.Malformed(offset, change, "an attrib needs a mode between 0 and 0777");
            return;
        }
        runner.Run(offset, change, () =>
        {
            // Missing: a later write (or reconcile) brings the file with its mode. Dirs carry no mtime.
            if (!replica.SetAttributes(change.Path, mode, change.IsDir ? null : change.Mtime))
                LogNothingThere(logger, offset, change.Path);
        });
    }

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: {Path} already is that link")]
    private static partial void LogAlreadyCurrent(ILogger logger, long offset, string path);

    [LoggerMessage(LogLevel.Debug, "Event {Offset}: no file or dir at {Path} to change the attributes of; a later event brings it")]
    private static partial void LogNothingThere(ILogger logger, long offset, string path);
}

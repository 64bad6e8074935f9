using Dlopbox.Client.State;
using Dlopbox.Contracts;

namespace Dlopbox.Client.Replica;

/// <summary>
/// Runs the local part of an event (mkdir, delete, move, symlink, attrib) under its offset, and says what
/// went wrong the same way for every kind: a refused path, a malformed event, a failed local operation.
/// None of these stalls the stream: the next reconcile repairs a local failure.
/// </summary>
internal sealed partial class LocalEventRunner(AppliedOffsetTracker offsets, ILogger logger, SyncProgress progress)
{
    /// <summary>Applies <paramref name="apply"/> as the whole of event <paramref name="offset"/>.</summary>
    public void Run(long offset, FileChange change, Action apply)
    {
        offsets.Begin(offset);
        try
        {
            RunWithin(offset, change, apply);
        }
        finally
        {
            offsets.Complete(offset);
        }
    }

    /// <summary>Applies <paramref name="apply"/> as one part of an event the caller has begun.</summary>
    public void RunWithin(long offset, FileChange change, Action apply)
    {
        try
        {
            apply();
        }
        catch (UnsafePathException ex)
        {
            // A link planted on the way since the event was checked: refused all the same.
            Refused(offset, change.Kind, change.Path, ex.Reason);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogLocalOperationFailed(logger, change.Kind, change.Path, ex);
            progress.RecordError($"{change.Kind.ToString().ToLowerInvariant()} {change.Path} failed locally: {ex.Message}");
        }
    }

    public void Refused(long offset, ChangeKind kind, string? path, string reason)
    {
        LogRefusedPath(logger, offset, kind, path, reason);
        progress.RecordError($"refused event {offset}: unsafe path '{path}': {reason}");
    }

    /// <summary>Skips a malformed event: logged, and counted as handled.</summary>
    public void Malformed(long offset, FileChange change, string reason)
    {
        LogMalformed(logger, offset, change.Kind, change.Path, reason);
        progress.RecordError($"skipped malformed event {offset}: {reason}");
        offsets.Done(offset);
    }

    [LoggerMessage(LogLevel.Warning, "Refused event {Offset} ({Kind}): unsafe path '{Path}': {Reason}")]
    private static partial void LogRefusedPath(ILogger logger, long offset, ChangeKind kind, string? path, string reason);

    [LoggerMessage(LogLevel.Warning, "Skipped malformed event {Offset} ({Kind} {Path}): {Reason}")]
    private static partial void LogMalformed(ILogger logger, long offset, ChangeKind kind, string path, string reason);

    [LoggerMessage(LogLevel.Error, "{Kind} {Path} failed locally; the next reconcile repairs it")]
    private static partial void LogLocalOperationFailed(ILogger logger, ChangeKind kind, string path, Exception exception);
}

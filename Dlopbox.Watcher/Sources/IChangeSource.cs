namespace Dlopbox.Watcher.Sources;

/// <summary>How many directories and files a source found when it started.</summary>
internal readonly record struct TreeCount(int Dirs, int Files);

/// <summary>Feeds <see cref="Changes.PendingChanges"/> with what changed in the master dir.</summary>
internal interface IChangeSource : IDisposable
{
    /// <summary>Sets up watching (inotify watches, or the first poll) and returns what it saw. Changes after this are not missed.</summary>
    Task<TreeCount> StartAsync(CancellationToken cancellationToken);

    /// <summary>Reports changes until <paramref name="stoppingToken"/> fires.</summary>
    Task RunAsync(CancellationToken stoppingToken);
}

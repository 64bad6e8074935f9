using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.Sources;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher;

/// <summary>
/// Runs the watcher: load the acknowledged state, set up watching FIRST, then queue a full rescan (so what
/// changed while the watcher was down is sent, and nothing changing now is missed), then run the change
/// source and the pipeline until stopped. On stop the source stops reading; the pipeline delivers what is
/// pending for a bounded time and saves the state.
/// </summary>
internal sealed partial class MasterWatcherService(
    IChangeSource source,
    ChangePipeline pipeline,
    PendingChanges pending,
    WatcherState state,
    IOptions<WatcherOptions> options,
    ILogger<MasterWatcherService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // the walk below can be long: do not hold up the host's start

        await pipeline.LoadStateAsync(stoppingToken);
        var tree = await source.StartAsync(stoppingToken);
        state.MarkWatching();
        LogWatching(logger, options.Value.MasterRoot, options.Value.Mode, tree.Dirs, tree.Files);
        pending.Enqueue(ChangeOp.Rescan.Instance);

        // If the source dies, stop the pipeline too (it still drains and saves), then let the host stop.
        using var sourceFailed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var sourceTask = RunSourceAsync(sourceFailed, stoppingToken);
        try
        {
            await pipeline.RunAsync(sourceFailed.Token);
        }
        finally
        {
            await sourceFailed.CancelAsync();
            await sourceTask;
            source.Dispose();
        }
    }

    private async Task RunSourceAsync(CancellationTokenSource sourceFailed, CancellationToken stoppingToken)
    {
        try
        {
            await source.RunAsync(sourceFailed.Token);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogSourceFailed(logger, ex);
            await sourceFailed.CancelAsync();
            throw;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(LogLevel.Information, "Watching {MasterDir} ({Mode}, {Dirs} dirs, {Files} files)")]
    private static partial void LogWatching(ILogger logger, string masterDir, WatchMode mode, int dirs, int files);

    [LoggerMessage(LogLevel.Critical, "The change source failed; stopping")]
    private static partial void LogSourceFailed(ILogger logger, Exception exception);
}

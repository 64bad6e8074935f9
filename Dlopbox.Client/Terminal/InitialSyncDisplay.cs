using Dlopbox.Client.State;

namespace Dlopbox.Client.Terminal;

/// <summary>
/// Shows each reconcile's progress on the console: a live bar on a terminal, else a plain log line every
/// <see cref="LineInterval"/> and one at the end. Reads <see cref="SyncProgress"/> only; the sync never waits for it.
/// </summary>
internal sealed partial class InitialSyncDisplay(
    SyncProgress progress,
    ConsoleDisplay display,
    TimeProvider time,
    ILogger<InitialSyncDisplay> logger) : BackgroundService
{
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(2);

    /// <summary>How often the plain lines poll; they print far less often.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (display.Mode == ProgressDisplay.None)
            return;
        var shown = 0;
        try
        {
            while (true)
            {
                var changed = progress.Changed;
                var counters = progress.ReadReconcile();
                // A reconcile with nothing to download is over at once: its "Reconciled" log line says all.
                if (counters is { Active: true, FilesTotal: > 0 } && counters.Generation != shown)
                {
                    shown = counters.Generation;
                    if (display is { Mode: ProgressDisplay.Bar, Console: { } console })
                        await ProgressBar.RunAsync(console, display.Router, display.Output, progress, shown, time, stoppingToken);
                    else
                        await WriteLinesAsync(shown, stoppingToken);
                    continue;
                }
                await changed.WaitAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteLinesAsync(int generation, CancellationToken stoppingToken)
    {
        var renderer = new ProgressLineRenderer(time, LineInterval);
        while (true)
        {
            var changed = progress.Changed;
            var counters = progress.ReadReconcile();
            var over = !counters.Active || counters.Generation != generation || stoppingToken.IsCancellationRequested;
            if (renderer.Next(counters, final: over) is { } line)
                LogProgress(logger, line);
            if (over)
                return;
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(changed, Task.Delay(PollInterval, time, wake.Token));
            await wake.CancelAsync();
        }
    }

    [LoggerMessage(LogLevel.Information, "{Line}")]
    private static partial void LogProgress(ILogger logger, string line);
}

using Dlopbox.Client.State;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dlopbox.Client.Terminal;

/// <summary>
/// The initial sync as a live Spectre.Console bar on an interactive terminal, two lines (so it fits 80 columns):
/// <code>
/// initial sync: 1234/10000 files
/// ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  12% 120.5 MiB/1.0 GiB 45.3 MiB/s 00:00:20
/// </code>
/// It owns the bottom of the terminal while it runs; log lines scroll above it: the router holds them back and each
/// frame prints them first (Spectre then redraws the bar below).
/// </summary>
internal static class ProgressBar
{
    /// <summary>How often the counters are read and held log lines printed.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Spectre puts the cursor back at the top of the bar before printing text, but leaves the old bar's characters: erase them.</summary>
    private const string EraseBelow = "\u001b[0J";

    /// <summary>Shows reconcile <paramref name="generation"/> until it ends, and leaves its last state on screen.</summary>
    public static async Task RunAsync(IAnsiConsole console, TerminalLogRouter? router, ConsoleDisplay.TerminalOutput? output,
        SyncProgress progress, int generation, TimeProvider time, CancellationToken cancellationToken)
    {
        router?.BeginLive();
        try
        {
            // The bar takes what the other columns (about 50 characters) leave, up to Spectre's usual 40.
            var barWidth = Math.Clamp(console.Profile.Width - 50, 10, 40);
            await new Progress(console, time)
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(
                    new ProgressBarColumn { Width = barWidth },
                    new PercentageColumn(),
                    new BytesColumn(),
                    new TransferSpeedColumn { Base = FileSizeBase.Binary },
                    new RemainingTimeColumn())
                // The task's description is the line above its bar: the file counts, as the plain lines say them.
                .UseRenderHook((bar, tasks) => tasks.Count == 0 ? bar : new Rows(new Text(tasks[0].Description), bar))
                .StartAsync(async context =>
                {
                    var counters = progress.ReadReconcile();
                    var task = context.AddTask(Describe(counters), autoStart: true, maxValue: Math.Max(1, counters.BytesTotal));
                    while (true)
                    {
                        output?.RefreshSize();
                        PrintHeldLogs(console, router?.TakeHeld());
                        var changed = progress.Changed;
                        counters = progress.ReadReconcile();
                        var over = !counters.Active || counters.Generation != generation || cancellationToken.IsCancellationRequested;
                        task.Description = Describe(counters);
                        task.State.Update<ReconcileCounters>(BytesColumn.Key, _ => counters);
                        task.Value = over && counters.FilesDone >= counters.FilesTotal
                            ? task.MaxValue
                            : Math.Clamp(counters.BytesDone, 0, counters.BytesTotal);
                        if (over)
                        {
                            task.StopTask();
                            context.Refresh();
                            return;
                        }
                        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        await Task.WhenAny(changed, Task.Delay(PollInterval, time, wake.Token));
                        await wake.CancelAsync();
                    }
                });
        }
        finally
        {
            PrintHeldLogs(console, router?.EndLive());
        }
    }

    private static void PrintHeldLogs(IAnsiConsole console, string? lines)
    {
        // Raw, as the logger wrote them: its colours survive.
        if (!string.IsNullOrEmpty(lines))
            console.Write(new ControlCode(EraseBelow + lines));
    }

    private static string Describe(ReconcileCounters counters) => $"initial sync: {counters.FilesDone}/{counters.FilesTotal} files";

    /// <summary>Done and total bytes in the same units as the plain lines (<c>120.5 MiB/1.0 GiB</c>).</summary>
    private sealed class BytesColumn : ProgressColumn
    {
        public const string Key = "counters";

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var counters = task.State.Get<ReconcileCounters>(Key);
            var done = Math.Clamp(counters.BytesDone, 0, counters.BytesTotal);
            return new Text($"{ProgressFormat.Bytes(done)}/{ProgressFormat.Bytes(counters.BytesTotal)}");
        }
    }
}

using Dlopbox.Client.State;
using Dlopbox.Client.Terminal;
using Dlopbox.Contracts;

namespace Dlopbox.Tests.Client;

/// <summary>The plain progress lines (what a redirected or embedded client prints), driven by a real <see cref="SyncProgress"/> on a manual clock.</summary>
public sealed class ProgressDisplayTests
{
    private const long MiB = 1024 * 1024;

    private readonly ManualTimeProvider _time = new();
    private readonly SyncProgress _progress;
    private readonly ProgressLineRenderer _renderer;

    public ProgressDisplayTests()
    {
        _progress = new SyncProgress(_time);
        _renderer = new ProgressLineRenderer(_time, TimeSpan.FromSeconds(2));
    }

    /// <summary>Moves the clock, lets the sync do some work, and asks the renderer as the display's poll would.</summary>
    private string? After(TimeSpan elapsed, int files, long bytes, bool final = false)
    {
        _time.Advance(elapsed);
        for (var i = 0; i < files; i++)
            _progress.ReconcileFileDone(0);
        _progress.AddReconcileBytes(bytes);
        if (final)
            _progress.EndReconcile();
        return _renderer.Next(_progress.ReadReconcile(), final);
    }

    [Fact]
    public void Prints_a_line_every_two_seconds_with_rate_and_eta_and_one_at_the_end()
    {
        _progress.BeginReconcile(files: 10000, bytes: 1024 * MiB);
        var lines = new List<string?>
        {
            After(TimeSpan.Zero, 0, 0),
            After(TimeSpan.FromSeconds(1), 617, 60 * MiB),
            After(TimeSpan.FromSeconds(1), 617, 60 * MiB),
            After(TimeSpan.FromSeconds(0.5), 300, 30 * MiB),
            After(TimeSpan.FromSeconds(1.5), 600, 60 * MiB),
        };

        Assert.Equal(
        [
            null,
            null,
            "initial sync: 1234/10000 files, 120.0 MiB/1.0 GiB, 60.0 MiB/s, ETA 0:15",
            null,
            "initial sync: 2134/10000 files, 210.0 MiB/1.0 GiB, 52.5 MiB/s, ETA 0:16",
        ], lines);

        // The rest arrives; the last files were skipped (changed since) and are credited whole.
        After(TimeSpan.FromSeconds(10), 7866, 700 * MiB);
        var closing = After(TimeSpan.FromSeconds(1), 0, 114 * MiB, final: true);
        Assert.Equal("initial sync: done, 10000/10000 files, 1.0 GiB in 0:15 (68.3 MiB/s)", closing);
    }

    [Fact]
    public void A_stalled_sync_has_no_eta_and_a_stopped_one_says_where_it_stopped()
    {
        _progress.BeginReconcile(files: 3, bytes: 3 * MiB);
        After(TimeSpan.Zero, 1, MiB);
        // Nothing moves for the whole rate window.
        Assert.Null(After(TimeSpan.FromSeconds(1), 0, 0));
        for (var i = 0; i < 10; i++)
            After(TimeSpan.FromSeconds(1.5), 0, 0);
        Assert.Equal("initial sync: 1/3 files, 1.0 MiB/3.0 MiB, 0 B/s, ETA unknown", After(TimeSpan.FromSeconds(2), 0, 0));

        Assert.Equal("initial sync: stopped at 1/3 files, 1.0 MiB/3.0 MiB after 0:19", After(TimeSpan.FromSeconds(1), 0, 0, final: true));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(126353408, "120.5 MiB")]
    [InlineData(1073741824, "1.0 GiB")]
    public void Sizes_read_in_binary_units(long bytes, string expected) => Assert.Equal(expected, ProgressFormat.Bytes(bytes));

    [Theory]
    [InlineData(0, "0:00")]
    [InlineData(32, "0:32")]
    [InlineData(725, "12:05")]
    [InlineData(3723, "1:02:03")]
    public void Durations_read_as_a_clock(int seconds, string expected) => Assert.Equal(expected, ProgressFormat.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public async Task Progress_signals_phase_changes_and_reconciles_but_not_counters()
    {
        var changed = _progress.Changed;
        _progress.SetPhase(ClientPhase.Starting);
        Assert.False(changed.IsCompleted);

        _progress.SetPhase(ClientPhase.Reconciling);
        await changed;

        changed = _progress.Changed;
        _progress.BeginReconcile(2, 10);
        await changed;
        changed = _progress.Changed;
        _progress.AddReconcileBytes(4);
        _progress.ReconcileFileDone(1);
        Assert.False(changed.IsCompleted);
        Assert.Equal(new ReconcileProgress { FilesDone = 1, FilesTotal = 2, BytesDone = 5, BytesTotal = 10 }, _progress.Reconcile);

        _progress.EndReconcile();
        await changed;
        Assert.Null(_progress.Reconcile);
        Assert.Equal(1, _progress.ReadReconcile().FilesDone);
    }

    [Fact]
    public void The_log_router_holds_lines_while_the_bar_is_live_and_passes_them_otherwise()
    {
        using var stdout = new StringWriter();
        var router = new TerminalLogRouter(stdout);

        router.Write("before\n");
        router.BeginLive();
        router.Write("info: one\n      two\n");
        router.Write("half a li");

        Assert.Equal("before\n", stdout.ToString());
        Assert.Equal("info: one\n      two\n", router.TakeHeld());
        Assert.Equal("", router.TakeHeld());
        router.Write("ne\nnext");
        Assert.Equal("half a line\n", router.TakeHeld());
        Assert.Equal("next", router.EndLive());
        router.Write("after\n");
        Assert.Equal("before\nafter\n", stdout.ToString());
    }
}

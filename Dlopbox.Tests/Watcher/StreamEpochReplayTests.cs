using Dlopbox.Contracts;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

/// <summary>The pipeline against stream epochs: a stream made anew gets the whole master again, without re-reading unchanged files.</summary>
public sealed class StreamEpochReplayTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static bool Has(List<FileChange> changes, ChangeKind kind, string path) =>
        changes.Any(c => c.Kind == kind && c.Path == path);

    private string? SavedEpoch() =>
        new WatcherStateStore(Options.Create(_tree.Options()), NullLogger<WatcherStateStore>.Instance)
            .LoadStateAsync(CancellationToken.None).GetAwaiter().GetResult().Epoch;

    /// <summary>A first run against stream e1 that sends the tree; leaves the state saved with e1.</summary>
    private async Task SendTreeToFirstStreamAsync()
    {
        _tree.Write("a.txt", "alpha");
        _tree.Write("d/b.txt", "bravo");
        _tree.Write("gone.txt", "gone soon");
        File.CreateSymbolicLink(_tree.M("link"), "a.txt");
        var first = await WatcherHarness.StartAsync(_tree, sink: new CollectingSink { Epoch = new StreamEpoch("e1") });
        var sent = await first.SettleAsync(0);
        Assert.True(Has(sent, ChangeKind.Write, "d/b.txt"));
        Assert.Equal("e1", first.Pipeline.Epoch);
        await first.DisposeAsync();
        // The next harness counts its sentinels from 1 again: each must be a new file.
        foreach (var sentinel in Directory.GetFiles(_tree.Master, "zz-sentinel-*"))
            File.Delete(sentinel);
    }

    [Fact]
    public async Task A_fresh_state_adopts_the_epoch_without_sending_twice()
    {
        _tree.Write("a.txt", "alpha");
        await using var harness = await WatcherHarness.StartAsync(_tree, sink: new CollectingSink { Epoch = new StreamEpoch("e1") });

        var changes = await harness.SettleAsync(0);

        Assert.Single(changes, c => c.Path == "a.txt");
        Assert.Equal("e1", harness.Pipeline.Epoch);
        Assert.Equal("e1", SavedEpoch());
    }

    [Fact]
    public async Task The_same_epoch_sends_nothing_again()
    {
        await SendTreeToFirstStreamAsync();

        await using var second = await WatcherHarness.StartAsync(_tree, sink: new CollectingSink { Epoch = new StreamEpoch("e1") });
        var changes = await second.SettleAsync(0);

        Assert.Empty(changes);
        Assert.Equal("e1", second.Pipeline.Epoch);
    }

    [Fact]
    public async Task A_new_epoch_sends_every_present_path_and_deletes_what_vanished_without_rehashing()
    {
        await SendTreeToFirstStreamAsync();
        File.Delete(_tree.M("gone.txt"));

        await using var second = await WatcherHarness.StartAsync(_tree, sink: new CollectingSink { Epoch = new StreamEpoch("e2") });
        var changes = await second.Sink.WaitForAsync(c =>
            Has(c, ChangeKind.Write, "a.txt") && Has(c, ChangeKind.Mkdir, "d") && Has(c, ChangeKind.Write, "d/b.txt")
            && Has(c, ChangeKind.Symlink, "link") && Has(c, ChangeKind.Delete, "gone.txt"));

        Assert.Equal(TempTree.Sha("alpha"), changes.Last(c => c.Path == "a.txt").Sha256);
        Assert.Equal(0, second.Emitter.FilesHashed);
        Assert.Equal("e2", second.Pipeline.Epoch);
        Assert.DoesNotContain(second.Pipeline.Acknowledged.All(), e => e.Value.Unsent);
        await second.SettleAsync(changes.Count);
        Assert.Equal("e2", SavedEpoch());
    }

    [Fact]
    public async Task An_idle_probe_finds_a_new_epoch_and_sends_the_master_again()
    {
        _tree.Write("a.txt", "alpha");
        var sink = new CollectingSink { Epoch = new StreamEpoch("e1") };
        await using var harness = await WatcherHarness.StartAsync(_tree,
            configure: o => o.EpochCheckInterval = TimeSpan.FromMilliseconds(200), sink: sink);
        await harness.SettleAsync(0);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (sink.Probes == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(sink.Probes > 0, "no empty batch was sent while idle");
        Assert.Equal("e1", harness.Pipeline.Epoch);

        var from = sink.Changes.Count;
        sink.Epoch = new StreamEpoch("e2");
        await sink.WaitForAsync(c => Has(c, ChangeKind.Write, "a.txt"), from);

        Assert.Equal("e2", harness.Pipeline.Epoch);
    }
}

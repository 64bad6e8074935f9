using Dlopbox.Contracts;
using Dlopbox.Watcher;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

public sealed class WatcherStateStoreTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task The_acknowledged_index_survives_a_save_and_load()
    {
        var options = _tree.Options();
        options.StateDir = Path.Combine(_tree.State, "nested", "created");
        var store = new WatcherStateStore(Options.Create(options), NullLogger<WatcherStateStore>.Instance);
        Assert.Equal(0, (await store.LoadAsync(CancellationToken.None)).Count);
        var index = new TreeIndex();
        var mtime = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
        index.Apply(FileChange.Mkdir("dir"));
        index.Apply(FileChange.Write("dir/ünï cödé", 42, mtime, new string('b', 64)));

        await store.SaveAsync(index, CancellationToken.None);
        var loaded = await store.LoadAsync(CancellationToken.None);

        Assert.Equal(index.All(), loaded.All());
        Assert.False(File.Exists(store.StatePath + ".tmp"));
    }

    [Fact]
    public async Task Modes_links_and_stamps_survive_and_an_older_state_still_loads()
    {
        var store = new WatcherStateStore(Options.Create(_tree.Options()), NullLogger<WatcherStateStore>.Instance);
        var index = new TreeIndex();
        var mtime = new FileTime(1_700_000_000, 123_456_789);
        index.Apply(FileChange.Mkdir("dir", 0x1ED));
        index.Apply(FileChange.Write("dir/f", 3, mtime, new string('c', 64), 0x180));
        index.Apply(FileChange.Symlink("dir/link", "../elsewhere", mtime));
        index.Apply(FileChange.Write("zero-mode", 0, mtime, new string('d', 64), 0));
        index.Set("dir/f", index.All().Single(e => e.Key == "dir/f").Value with { Inode = 42, Ctime = new FileTime(5, 6) });

        await store.SaveAsync(index, CancellationToken.None);
        Assert.Equal(index.All(), (await store.LoadAsync(CancellationToken.None)).All());

        // Written before modes, links and stamps existed: those are unknown, not zero.
        await File.WriteAllTextAsync(store.StatePath,
            "{\"version\":1,\"entries\":[{\"p\":\"d\",\"d\":true},{\"p\":\"d/f\",\"s\":3,\"m\":\"2026-01-02T03:04:05.000000001Z\",\"h\":\"" + new string('e', 64) + "\"}]}");
        var old = (await store.LoadAsync(CancellationToken.None)).All().ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal(IndexEntry.Directory, old["d"]);
        Assert.Equal(IndexEntry.File(3, new FileTime(1767323045, 1), new string('e', 64)), old["d/f"]);
        Assert.Null(old["d/f"].Mode);
        Assert.Equal(0UL, old["d/f"].Inode);
    }

    [Fact]
    public async Task The_stream_epoch_survives_and_an_older_state_has_none()
    {
        var store = new WatcherStateStore(Options.Create(_tree.Options()), NullLogger<WatcherStateStore>.Instance);
        var index = new TreeIndex();
        index.Apply(FileChange.Mkdir("dir"));

        await store.SaveAsync(index, "epoch-7", CancellationToken.None);
        var loaded = await store.LoadStateAsync(CancellationToken.None);
        Assert.Equal("epoch-7", loaded.Epoch);
        Assert.Equal(index.All(), loaded.Acknowledged.All());

        await File.WriteAllTextAsync(store.StatePath, "{\"version\":1,\"entries\":[{\"p\":\"d\",\"d\":true}]}");
        var old = await store.LoadStateAsync(CancellationToken.None);
        Assert.Null(old.Epoch);
        Assert.Equal(1, old.Acknowledged.Count);
    }

    [Fact]
    public async Task An_unreadable_state_means_sending_everything_again()
    {
        var store = new WatcherStateStore(Options.Create(_tree.Options()), NullLogger<WatcherStateStore>.Instance);
        await File.WriteAllTextAsync(store.StatePath, "{ not json");

        Assert.Equal(0, (await store.LoadAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public void The_options_validator_rejects_a_state_dir_inside_the_master_dir()
    {
        var options = _tree.Options();
        options.StateDir = Path.Combine(_tree.Master, "state");
        options.Token = "";

        var result = new WatcherOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("StateDir", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Token", StringComparison.Ordinal));
        Assert.True(new WatcherOptionsValidator().Validate(null, _tree.Options()).Succeeded);
    }

    [Fact]
    public void The_options_validator_checks_the_write_timings_and_the_symlink_mode()
    {
        var options = _tree.Options();
        options.CreateSettleTime = TimeSpan.Zero;
        options.QuietPeriod = TimeSpan.FromSeconds(2);
        options.MaxWriteDelay = TimeSpan.FromSeconds(1);
        options.Symlinks = (SymlinkMode)7;

        var failures = new WatcherOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains(failures, f => f.Contains("CreateSettleTime", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("MaxWriteDelay", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Symlinks", StringComparison.Ordinal));
        Assert.Equal(SymlinkMode.Mirror, _tree.Options().Symlinks);
        Assert.Equal((TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)),
            (_tree.Options().CreateSettleTime, _tree.Options().QuietPeriod, _tree.Options().MaxWriteDelay));
    }
}

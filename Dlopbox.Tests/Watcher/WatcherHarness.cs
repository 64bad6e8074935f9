using System.Security.Cryptography;
using Dlopbox.Contracts;
using Dlopbox.FileSystem.Inotify;
using Dlopbox.Watcher;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Dlopbox.Watcher.Sources;
using Dlopbox.Watcher.Sources.Inotify;
using Dlopbox.Watcher.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

/// <summary>A temp dir with master/, state/ and outside/ (same file system, so renames across work), cleaned up.</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "dlopbox-watcher-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Master);
        Directory.CreateDirectory(State);
        Directory.CreateDirectory(Outside);
    }

    public string Root { get; }

    public string Master => Path.Combine(Root, "master");

    public string State => Path.Combine(Root, "state");

    public string Outside => Path.Combine(Root, "outside");

    public string M(string relative) => Path.Combine(Master, relative);

    public string Write(string relative, string content)
    {
        var full = M(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return Sha(content);
    }

    public static string Sha(string content) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)));

    public WatcherOptions Options(WatchMode mode = WatchMode.Inotify) => new()
    {
        MasterDir = Master,
        StateDir = State,
        Token = "test-token",
        Mode = mode,
        PollInterval = TimeSpan.FromMilliseconds(100),
        ShutdownDrainTimeout = TimeSpan.FromSeconds(2),
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Stands in for the HTTP sender: keeps every delivered change, in order.</summary>
internal sealed class CollectingSink : IChangeSink
{
    private readonly Lock _lock = new();
    private readonly List<FileChange> _changes = [];
    private int _probes;

    public List<FileChange> Changes
    {
        get
        {
            lock (_lock)
                return [.. _changes];
        }
    }

    /// <summary>The epoch every answer names (null: answers that do not say).</summary>
    public StreamEpoch? Epoch { get; set; }

    /// <summary>How many empty batches (epoch probes) were delivered.</summary>
    public int Probes => Volatile.Read(ref _probes);

    public Task<Delivery> DeliverAsync(IReadOnlyList<FileChange> changes, CancellationToken cancellationToken)
    {
        lock (_lock)
            _changes.AddRange(changes);
        if (changes.Count == 0)
            Interlocked.Increment(ref _probes);
        return Task.FromResult(new Delivery(changes, Epoch));
    }

    /// <summary>Polls until <paramref name="condition"/> holds for the changes after <paramref name="from"/>, or fails after the timeout.</summary>
    public async Task<List<FileChange>> WaitForAsync(Func<List<FileChange>, bool> condition, int from = 0, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var changes = Changes.Skip(from).ToList();
            if (condition(changes))
                return changes;
            if (DateTime.UtcNow > deadline)
                Assert.Fail("Timed out waiting for changes; got:\n" + string.Join('\n', changes));
            await Task.Delay(10);
        }
    }
}

/// <summary>The watcher core against the real kernel: a change source, the queue, the emitter and the pipeline, with a collector for a sender.</summary>
internal sealed class WatcherHarness : IAsyncDisposable
{
    private int _sentinels;

    private WatcherHarness(TempTree tree, WatchMode mode, Action<WatcherOptions>? configure, CollectingSink? sink)
    {
        Tree = tree;
        Sink = sink ?? new CollectingSink();
        var watcherOptions = tree.Options(mode);
        configure?.Invoke(watcherOptions);
        var options = Microsoft.Extensions.Options.Options.Create(watcherOptions);
        State = new WatcherState();
        Pending = new PendingChanges();
        var scanner = new TreeScanner(options, NullLogger<TreeScanner>.Instance);
        Emitter = new ChangeEmitter(scanner, NullLogger<ChangeEmitter>.Instance);
        Pipeline = new ChangePipeline(Pending, Emitter, Sink, new WatcherStateStore(options, NullLogger<WatcherStateStore>.Instance),
            State, options, NullLogger<ChangePipeline>.Instance, TestTelemetry.Watcher(), TimeProvider.System);
        IChangeSource source = mode == WatchMode.Polling
            ? new PollingWatcher(Pending, scanner, options, NullLogger<PollingWatcher>.Instance, TimeProvider.System)
            : new InotifyWatcher(Pending, scanner, State, options, NullLogger<InotifyWatcher>.Instance, TimeProvider.System);
        Service = new MasterWatcherService(source, Pipeline, Pending, State, options, NullLogger<MasterWatcherService>.Instance);
    }

    public TempTree Tree { get; }

    public CollectingSink Sink { get; }

    public WatcherState State { get; }

    public PendingChanges Pending { get; }

    public ChangeEmitter Emitter { get; }

    public ChangePipeline Pipeline { get; }

    public MasterWatcherService Service { get; }

    public static async Task<WatcherHarness> StartAsync(TempTree tree, WatchMode mode = WatchMode.Inotify,
        Action<WatcherOptions>? configure = null, CollectingSink? sink = null)
    {
        var harness = new WatcherHarness(tree, mode, configure, sink);
        await harness.Service.StartAsync(CancellationToken.None);
        await harness.State.WhenReady.WaitAsync(TimeSpan.FromSeconds(10));
        return harness;
    }

    /// <summary>
    /// Writes a sentinel file and waits for its Write: as changes are delivered in order, everything caused
    /// before it has arrived by then. Returns the changes after <paramref name="from"/>, sentinels left out.
    /// </summary>
    public async Task<List<FileChange>> SettleAsync(int from)
    {
        var name = $"zz-sentinel-{++_sentinels}";
        Tree.Write(name, name);
        var changes = await Sink.WaitForAsync(c => c.Any(x => x.Path == name && x.Kind == ChangeKind.Write), from);
        return [.. changes.TakeWhile(c => c.Path != name).Where(c => !c.Path.StartsWith("zz-sentinel-", StringComparison.Ordinal))];
    }

    public async ValueTask DisposeAsync()
    {
        await Service.StopAsync(CancellationToken.None);
        Service.Dispose();
    }
}

using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Dlopbox.Watcher.Changes;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.State;

/// <summary>
/// Keeps the index the Interface acknowledged in <c>StateDir/watcher-state.json</c>, replaced atomically and
/// flushed to disk (<see cref="AtomicFile"/>). It never runs ahead of the Interface: after a crash the startup
/// rescan re-sends whatever was not acknowledged.
/// </summary>
internal sealed partial class WatcherStateStore(IOptions<WatcherOptions> options, ILogger<WatcherStateStore> logger)
{
    public const string FileName = "watcher-state.json";
    private const int FormatVersion = 1;

    private readonly string _stateDir = options.Value.StateRoot;

    public string StatePath => Path.Combine(_stateDir, FileName);

    public async Task<TreeIndex> LoadAsync(CancellationToken cancellationToken) =>
        (await LoadStateAsync(cancellationToken)).Acknowledged;

    /// <summary>The acknowledged index and its stream's epoch; empty (and epoch null) when there is none or it is unreadable.</summary>
    public async Task<LoadedState> LoadStateAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_stateDir);
        var index = new TreeIndex();
        string? epoch = null;
        if (!File.Exists(StatePath))
        {
            LogNoState(logger, StatePath);
            return new LoadedState(index, epoch);
        }
        try
        {
            await using var stream = new FileStream(StatePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            var state = await JsonSerializer.DeserializeAsync(stream, WatcherStateJsonContext.Default.PersistedState, cancellationToken);
            if (state is not { Version: FormatVersion })
                throw new JsonException($"unknown state format version {state?.Version}");
            foreach (var entry in state.Entries)
            {
                if (!PathRules.IsValid(entry.Path))
                    continue;
                var known = entry.IsDir ? IndexEntry.Dir(entry.Mode)
                    : entry.Target is { } target ? IndexEntry.Symlink(target, entry.Mtime ?? default)
                    : IndexEntry.File(entry.Size, entry.Mtime ?? default, entry.Sha256 ?? "", entry.Mode);
                index.Set(entry.Path, known with { Inode = entry.Inode, Ctime = entry.Ctime });
            }
            epoch = state.Epoch;
            LogLoaded(logger, index.Count, StatePath, epoch);
        }
        catch (JsonException ex)
        {
            // Sending everything again is harmless downstream; refusing to start is not.
            LogUnreadableState(logger, StatePath, ex.Message);
            index = new TreeIndex();
            epoch = null;
        }
        return new LoadedState(index, epoch);
    }

    public Task SaveAsync(TreeIndex acknowledged, CancellationToken cancellationToken) =>
        SaveAsync(acknowledged, epoch: null, cancellationToken);

    /// <summary>Saves <paramref name="acknowledged"/> as sent to the stream of <paramref name="epoch"/>.</summary>
    public async Task SaveAsync(TreeIndex acknowledged, string? epoch, CancellationToken cancellationToken)
    {
        var state = new PersistedState(FormatVersion, acknowledged.All().Select(e => ToPersisted(e.Key, e.Value)), epoch);
        await AtomicFile.WriteJsonAsync(StatePath, state, WatcherStateJsonContext.Default.PersistedState, flushToDisk: true, cancellationToken);
    }

    private static PersistedEntry ToPersisted(string path, IndexEntry entry) => entry.Kind switch
    {
        EntryKind.Directory => new PersistedEntry(path, IsDir: true, Mode: entry.Mode, Inode: entry.Inode, Ctime: entry.Ctime),
        EntryKind.Symlink => new PersistedEntry(path, Mtime: entry.Mtime, Target: entry.Target, Inode: entry.Inode, Ctime: entry.Ctime),
        _ => new PersistedEntry(path, Size: entry.Size, Mtime: entry.Mtime, Sha256: entry.Sha256, Mode: entry.Mode,
            Inode: entry.Inode, Ctime: entry.Ctime),
    };

    [LoggerMessage(LogLevel.Information, "No watcher state at {StatePath}: everything in the master dir will be sent")]
    private static partial void LogNoState(ILogger logger, string statePath);

    [LoggerMessage(LogLevel.Information, "Loaded {Entries} acknowledged entries from {StatePath} (stream epoch {Epoch})")]
    private static partial void LogLoaded(ILogger logger, int entries, string statePath, string? epoch);

    [LoggerMessage(LogLevel.Warning, "Ignoring unreadable watcher state {StatePath} ({Reason}): everything will be sent again")]
    private static partial void LogUnreadableState(ILogger logger, string statePath, string reason);
}

/// <summary>A loaded state: what the Interface acknowledged, and the epoch of the stream it went to (null: before epochs).</summary>
internal sealed record LoadedState(TreeIndex Acknowledged, string? Epoch);

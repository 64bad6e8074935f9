using System.Text.Json;
using System.Text.Json.Serialization;
using Dlopbox.FileSystem;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.State;

/// <summary>
/// What a client remembers between runs: the stream offset up to which its replica is applied, and the epoch
/// of the stream that offset belongs to (null for a stream written before epochs, or a file saved before them).
/// </summary>
internal sealed record ClientState(long Offset, DateTimeOffset SavedAt, string? Epoch = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ClientState))]
internal sealed partial class ClientStateJsonContext : JsonSerializerContext;

/// <summary>
/// Reads and writes <c>client-state.json</c> in the state dir. Writes go to a temp file that is flushed
/// to disk and renamed over the old one (<see cref="AtomicFile"/>), so a crash leaves either the old or the new state, never half.
/// </summary>
internal sealed partial class ClientStateStore(IOptions<ClientOptions> options, TimeProvider time, ILogger<ClientStateStore> logger)
{
    public const string FileName = "client-state.json";

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public string FilePath { get; } = Path.Combine(Path.GetFullPath(options.Value.StateDir), FileName);

    /// <summary>The saved state, or null when there is none (first run, or a file that cannot be read).</summary>
    public async Task<ClientState?> LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await AtomicFile.ReadJsonAsync(FilePath, ClientStateJsonContext.Default.ClientState, cancellationToken);
        }
        catch (JsonException ex)
        {
            // A state we cannot trust is no state: a full reconcile is always correct.
            LogStateUnreadable(logger, FilePath, ex);
            return null;
        }
    }

    /// <summary>Saves the applied offset with the epoch of its stream: an offset means nothing on another stream.</summary>
    public async Task SaveAsync(string? epoch, long offset, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await AtomicFile.WriteJsonAsync(FilePath, new ClientState(offset, time.GetUtcNow(), epoch), ClientStateJsonContext.Default.ClientState,
                flushToDisk: true, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Forgets the state, so that a crash during a resync restarts from a snapshot rather than from a stale offset.</summary>
    public void Delete() => File.Delete(FilePath);

    [LoggerMessage(LogLevel.Warning, "State file {StateFile} is unreadable; starting from a snapshot")]
    private static partial void LogStateUnreadable(ILogger logger, string stateFile, Exception exception);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;

namespace Dlopbox.Client.State;

/// <summary>
/// What a running client last said about itself (<c>status.json</c> in the state dir), for
/// <c>dlopbox-client status</c>: readable without the Interface, and after the client has stopped.
/// </summary>
internal sealed record ClientStatusFile
{
    public required string Name { get; init; }

    public required ClientPhase Phase { get; init; }

    public required long AppliedOffset { get; init; }

    public ReconcileProgress? Reconcile { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Local changes put back since the client started (<see cref="ClientProgress.Repaired"/>).</summary>
    public long Repaired { get; init; }

    /// <summary>When the client wrote this; a client that runs rewrites it every report interval.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClientStatusFile))]
internal sealed partial class ClientStatusJsonContext : JsonSerializerContext;

/// <summary>Reads and writes <c>status.json</c>; written whole (<see cref="AtomicFile"/>), not fsynced: it is rewritten every few seconds.</summary>
internal sealed class ClientStatusStore(string stateDir)
{
    public const string FileName = "status.json";

    public string FilePath { get; } = Path.Combine(Path.GetFullPath(stateDir), FileName);

    public Task SaveAsync(ClientStatusFile status, CancellationToken cancellationToken) =>
        AtomicFile.WriteJsonAsync(FilePath, status, ClientStatusJsonContext.Default.ClientStatusFile, flushToDisk: false, cancellationToken);

    /// <summary>The last status written; null when there is none or it cannot be read (it is only informative).</summary>
    public async Task<ClientStatusFile?> LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await AtomicFile.ReadJsonAsync(FilePath, ClientStatusJsonContext.Default.ClientStatusFile, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

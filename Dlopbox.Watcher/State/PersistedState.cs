using System.Text.Json.Serialization;
using Dlopbox.Contracts;

namespace Dlopbox.Watcher.State;

/// <summary>The acknowledged index on disk (<c>watcher-state.json</c>). Short member names: it holds one entry per path.</summary>
internal sealed record PersistedState(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("entries")] IEnumerable<PersistedEntry> Entries);

internal sealed record PersistedEntry(
    [property: JsonPropertyName("p")] string Path,
    [property: JsonPropertyName("d")] bool IsDir = false,
    [property: JsonPropertyName("s")] long Size = 0,
    [property: JsonPropertyName("m")] FileTime? Mtime = null,
    [property: JsonPropertyName("h")] string? Sha256 = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(PersistedState))]
internal sealed partial class WatcherStateJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;
using Dlopbox.Contracts;

namespace Dlopbox.Watcher.State;

/// <summary>
/// The acknowledged index on disk (<c>watcher-state.json</c>) and the epoch of the stream it was sent to
/// (absent in a state from before epochs: null, a stream from before epochs). Short member names: it holds
/// one entry per path.
/// </summary>
internal sealed record PersistedState(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("entries")] IEnumerable<PersistedEntry> Entries,
    [property: JsonPropertyName("epoch")] string? Epoch = null);

/// <summary>
/// One path: a dir (<c>d</c>), a symlink (<c>l</c>, its target) or else a file. Fields a state written by an
/// older watcher lacks read as unknown: mode <c>o</c>, inode <c>i</c> and ctime <c>c</c> (those two are
/// watcher-local, for rescans).
/// </summary>
internal sealed record PersistedEntry(
    [property: JsonPropertyName("p")] string Path,
    [property: JsonPropertyName("d")] bool IsDir = false,
    [property: JsonPropertyName("s")] long Size = 0,
    [property: JsonPropertyName("m")] FileTime? Mtime = null,
    [property: JsonPropertyName("h")] string? Sha256 = null,
    [property: JsonPropertyName("l")] string? Target = null,
    [property: JsonPropertyName("o")] int? Mode = null,
    [property: JsonPropertyName("i")] ulong Inode = 0,
    [property: JsonPropertyName("c")] FileTime? Ctime = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(PersistedState))]
internal sealed partial class WatcherStateJsonContext : JsonSerializerContext;

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Dlopbox.FileSystem;

/// <summary>
/// Replaces a JSON file as a whole: written to a temp file beside it, then renamed over it, so a reader
/// (or a crash) sees the old content or the new one, never half of either.
/// </summary>
public static class AtomicFile
{
    /// <param name="flushToDisk">
    /// Also fsync before the rename, so the new content survives a power loss: needed for what must not go
    /// back (the client's applied offset, the watcher's acknowledged index), not for what is rewritten every
    /// few seconds anyway (the client's status file).
    /// </param>
    public static async Task WriteJsonAsync<T>(string path, T value, JsonTypeInfo<T> typeInfo, bool flushToDisk, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        // A large buffer: the watcher's state holds one entry per file of the master dir.
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await JsonSerializer.SerializeAsync(stream, value, typeInfo, cancellationToken);
            if (flushToDisk)
            {
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The file's content; null when it does not exist. Throws <see cref="JsonException"/> when it is not valid.</summary>
    public static async Task<T?> ReadJsonAsync<T>(string path, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return default;
        }
    }
}

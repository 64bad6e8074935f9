namespace Dlopbox.Client.Replica;

/// <summary>The master's bytes of one file, as the server answered; the caller disposes it.</summary>
/// <param name="Length">Bytes the answer holds (its Content-Length), when the server said.</param>
internal sealed record MasterFile(Stream Content, long? Length) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>Where file contents come from (nginx in production). The one seam between the replica logic and HTTP.</summary>
internal interface IMasterFileSource
{
    /// <summary>
    /// Opens the master's file at a wire path; null when it is gone (404). Throws on any other failure.
    /// <paramref name="size"/> is the announced size: a file still being appended to (a log) is announced by
    /// its first <paramref name="size"/> bytes, so a source may answer with just those.
    /// </summary>
    Task<MasterFile?> OpenReadAsync(string path, long size, CancellationToken cancellationToken);
}

namespace Dlopbox.Client.Replica;

/// <summary>The master's bytes of one file, as the server answered; the caller disposes it.</summary>
internal sealed record MasterFile(Stream Content, long? Length) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>Where file contents come from (nginx in production). The one seam between the replica logic and HTTP.</summary>
internal interface IMasterFileSource
{
    /// <summary>Opens the master's file at a wire path; null when it is gone (404). Throws on any other failure.</summary>
    Task<MasterFile?> OpenReadAsync(string path, CancellationToken cancellationToken);
}

using Dlopbox.Contracts;

namespace Dlopbox.Watcher.Changes;

/// <summary>Where emitted changes go: the Interface over HTTP in the service, a collector in tests.</summary>
internal interface IChangeSink
{
    /// <summary>
    /// Delivers <paramref name="changes"/> in order, retrying as long as it takes. Returns the changes the
    /// receiver accepted (all of them, unless some were rejected as malformed and dropped).
    /// </summary>
    Task<IReadOnlyList<FileChange>> DeliverAsync(IReadOnlyList<FileChange> changes, CancellationToken cancellationToken);
}

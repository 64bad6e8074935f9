using Dlopbox.Contracts;

namespace Dlopbox.Client.Replica;

/// <summary>Asks the Interface for the master tree as of some stream offset.</summary>
internal sealed class SnapshotClient(HttpClient http)
{
    public async Task<Snapshot> GetAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync(WireNames.SnapshotRoute, DlopboxJsonContext.Default.Snapshot, cancellationToken)
            ?? throw new InvalidDataException("The Interface answered GET /snapshot with null");
}

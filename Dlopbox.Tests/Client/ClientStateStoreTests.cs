using Dlopbox.Client;
using Dlopbox.Client.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Client;

public sealed class ClientStateStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ClientStateStore CreateStore() =>
        new(Options.Create(new ClientOptions { ReplicaDir = _dir.Replica, StateDir = _dir.State }), TimeProvider.System, NullLogger<ClientStateStore>.Instance);

    [Fact]
    public async Task No_file_means_no_state()
    {
        Assert.Null(await CreateStore().LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Saved_offset_round_trips_and_leaves_no_temp_file()
    {
        var store = CreateStore();

        await store.SaveAsync(41, CancellationToken.None);
        await store.SaveAsync(42, CancellationToken.None);

        var state = await CreateStore().LoadAsync(CancellationToken.None);
        Assert.Equal(42, state?.Offset);
        Assert.Equal([ClientStateStore.FileName], Directory.GetFiles(_dir.State).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Minus_one_means_an_empty_stream_was_applied()
    {
        var store = CreateStore();

        await store.SaveAsync(-1, CancellationToken.None);

        Assert.Equal(-1, (await store.LoadAsync(CancellationToken.None))?.Offset);
    }

    [Fact]
    public async Task A_corrupt_file_counts_as_no_state()
    {
        Directory.CreateDirectory(_dir.State);
        await File.WriteAllTextAsync(Path.Combine(_dir.State, ClientStateStore.FileName), "{\"offset\": 12");

        Assert.Null(await CreateStore().LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Delete_forgets_the_state()
    {
        var store = CreateStore();
        await store.SaveAsync(7, CancellationToken.None);

        store.Delete();

        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }
}

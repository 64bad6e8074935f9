using System.Text.Json;
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

        await store.SaveAsync("e1", 41, CancellationToken.None);
        await store.SaveAsync("e1", 42, CancellationToken.None);

        var state = await CreateStore().LoadAsync(CancellationToken.None);
        Assert.Equal(42, state?.Offset);
        Assert.Equal([ClientStateStore.FileName], Directory.GetFiles(_dir.State).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Epoch_round_trips_as_a_camel_case_epoch_property()
    {
        var store = CreateStore();

        await store.SaveAsync("0f8e6c1a-epoch", 5000, CancellationToken.None);

        var state = await CreateStore().LoadAsync(CancellationToken.None);
        Assert.Equal(("0f8e6c1a-epoch", 5000L), (state?.Epoch, state?.Offset ?? -2));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(store.FilePath));
        Assert.Equal("0f8e6c1a-epoch", json.RootElement.GetProperty("epoch").GetString());
    }

    [Fact]
    public async Task A_null_epoch_is_written_as_null()
    {
        var store = CreateStore();

        await store.SaveAsync(null, 3, CancellationToken.None);

        Assert.Null((await store.LoadAsync(CancellationToken.None))?.Epoch);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(store.FilePath));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("epoch").ValueKind);
    }

    [Fact]
    public async Task A_file_saved_before_epochs_reads_with_a_null_epoch()
    {
        Directory.CreateDirectory(_dir.State);
        await File.WriteAllTextAsync(Path.Combine(_dir.State, ClientStateStore.FileName),
            "{\"offset\": 12, \"savedAt\": \"2026-11-30T10:00:00+00:00\"}");

        var state = await CreateStore().LoadAsync(CancellationToken.None);

        Assert.Equal(12, state?.Offset);
        Assert.Null(state?.Epoch);
    }

    [Fact]
    public async Task Minus_one_means_an_empty_stream_was_applied()
    {
        var store = CreateStore();

        await store.SaveAsync("e1", -1, CancellationToken.None);

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
        await store.SaveAsync("e1", 7, CancellationToken.None);

        store.Delete();

        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }
}

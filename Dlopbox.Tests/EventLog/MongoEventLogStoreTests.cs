using Dlopbox.Interface.EventLog;
using MongoDB.Driver;
using Testcontainers.MongoDb;

namespace Dlopbox.Tests.EventLog;

/// <summary>A real mongod in a container, where a Docker engine answers; otherwise the reason to skip.</summary>
public sealed class MongoContainerFixture : IAsyncLifetime
{
    private MongoDbContainer? _container;

    public string? ConnectionString { get; private set; }

    public string? SkipReason { get; private set; }

    public async Task InitializeAsync()
    {
        try
        {
            _container = new MongoDbBuilder("mongo:8.0").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await _container.StartAsync(timeout.Token);
            ConnectionString = _container.GetConnectionString();
        }
        catch (Exception ex)
        {
            SkipReason = $"No MongoDB here: a Docker engine is needed to start mongod with Testcontainers ({ex.GetType().Name}: {ex.Message.Split('\n')[0]})";
        }
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
            await _container.DisposeAsync();
    }
}

public sealed class MongoEventLogStoreTests(MongoContainerFixture mongo) : EventLogStoreContract, IClassFixture<MongoContainerFixture>
{
    protected override Task<(IEventLogStore? Store, string? Reason)> CreateStoreAsync()
    {
        if (mongo.ConnectionString is null)
            return Task.FromResult<(IEventLogStore?, string?)>((null, mongo.SkipReason));
        // A database per test: each starts empty.
        var database = new MongoClient(mongo.ConnectionString).GetDatabase("dlopbox_test_" + Guid.NewGuid().ToString("N")[..8]);
        return Task.FromResult<(IEventLogStore?, string?)>((new MongoEventLogStore(database), null));
    }
}

using Dlopbox.Interface.EventLog;
using MongoDB.Driver;
using Testcontainers.MongoDb;

namespace Dlopbox.Tests.EventLog;

/// <summary>
/// A real mongod: the server named by <see cref="ServerVariable"/>, else one in a container started by
/// Testcontainers (which needs a Docker engine it can use and the mongo image, pulled or present); otherwise
/// the reason to skip.
/// </summary>
public sealed class MongoContainerFixture : IAsyncLifetime
{
    /// <summary>A connection string of a MongoDB server the tests may create and drop databases on.</summary>
    public const string ServerVariable = "DLOPBOX_TEST_MONGODB";

    private MongoDbContainer? _container;

    public string? ConnectionString { get; private set; }

    public string? SkipReason { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } server)
        {
            ConnectionString = server;
            return;
        }
        try
        {
            _container = new MongoDbBuilder("mongo:8.0").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await _container.StartAsync(timeout.Token);
            ConnectionString = _container.GetConnectionString();
        }
        catch (Exception ex)
        {
            SkipReason = $"No MongoDB here: {ServerVariable} names no server, and Testcontainers could not start mongo:8.0 "
                + $"(it needs a Docker engine it can use and the image; {ex.GetType().Name}: {ex.Message.Split('\n')[0]})";
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

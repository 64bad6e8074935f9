using Dlopbox.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Dlopbox.AppHost;

/// <summary>
/// MongoDB as a plain container (Aspire.Hosting.MongoDB is not served here): the official image's root
/// user from parameters, a data volume, deploy/mongo's init script creating the Interface's readWrite-only
/// user, and a health check that pings the server as Aspire.Hosting.MongoDB's does.
/// </summary>
public static class MongoDBContainer
{
    public const string EndpointName = "tcp";
    public const int Port = 27017;

    /// <summary>The init script's default user name (deploy/mongo/init-dlopbox-user.js).</summary>
    public const string InterfaceUser = "dlopbox-interface";

    public static IResourceBuilder<ContainerResource> AddMongoDBContainer(
        this IDistributedApplicationBuilder builder,
        string name,
        ContainerImage image,
        IResourceBuilder<ParameterResource> rootUser,
        IResourceBuilder<ParameterResource> rootPassword,
        IResourceBuilder<ParameterResource> interfacePassword,
        string? dataBindMount = null)
    {
        var healthCheckKey = $"{name}_check";
        var mongo = builder.AddContainer(name, image.Image)
            .WithConfiguredImage(image)
            .WithEndpoint(targetPort: Port, name: EndpointName, scheme: "tcp")
            .WithBindMount("../deploy/mongo/init-dlopbox-user.js", "/docker-entrypoint-initdb.d/10-dlopbox-user.js", isReadOnly: true)
            .WithEnvironment("MONGO_INITDB_ROOT_USERNAME", rootUser)
            .WithEnvironment("MONGO_INITDB_ROOT_PASSWORD", rootPassword)
            .WithEnvironment("DLOPBOX_MONGO_PASSWORD", interfacePassword)
            .WithHealthCheck(healthCheckKey);

        // A named volume by default; a host dir where the run must leave no volume (Dlopbox:DataVolumes=false).
        mongo = dataBindMount is null ? mongo.WithVolume($"dlopbox-{name}-data", "/data/db") : mongo.WithBindMount(dataBindMount, "/data/db");

        // Resolved when the check runs: the endpoint's port is allocated only once the app starts.
        // One instance, so that its client is reused from check to check.
        var endpoint = mongo.GetEndpoint(EndpointName);
        var check = new MongoPingHealthCheck(ReferenceExpression.Create(
            $"mongodb://{rootUser.Resource}:{rootPassword.Resource}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}/?authSource=admin"));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey,
            _ => check,
            failureStatus: default,
            tags: default,
            timeout: TimeSpan.FromSeconds(10)));
        return mongo;
    }

    /// <summary>
    /// The Interface's connection string: the readWrite-only user the init script creates in the event log's
    /// database (authenticated there, as in docker-compose.yaml and deploy/k8s), never the root user.
    /// </summary>
    public static ReferenceExpression InterfaceConnectionString(this IResourceBuilder<ContainerResource> mongo, IResourceBuilder<ParameterResource> interfacePassword)
    {
        var endpoint = mongo.GetEndpoint(EndpointName);
        return ReferenceExpression.Create(
            $"mongodb://{InterfaceUser}:{interfacePassword.Resource}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}/{WireNames.EventLogDatabase}?authSource={WireNames.EventLogDatabase}");
    }

    /// <summary>Healthy once the server answers <c>ping</c>.</summary>
    private sealed class MongoPingHealthCheck(ReferenceExpression connectionString) : IHealthCheck
    {
        private MongoClient? _client;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                if (_client is null)
                {
                    var settings = MongoClientSettings.FromConnectionString(await connectionString.GetValueAsync(cancellationToken));
                    settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
                    _client = new MongoClient(settings);
                }
                await _client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is MongoException or TimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, exception: e);
            }
        }
    }
}

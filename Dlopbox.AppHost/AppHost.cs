using Aspire.Hosting.Docker.Resources.ServiceNodes;
using Dlopbox.Contracts;

// The dlopbox distributed application. `dotnet run --project Dlopbox.AppHost` runs RabbitMQ, MongoDB
// and nginx in containers and the services as projects on the host, with the dashboard showing every
// trace; `aspire publish` writes the same model as docker-compose.yaml + .env (aspire-output/).
//
// Names: resources and connection names are the ones the services read (Dlopbox.Contracts.WireNames);
// Dlopbox.Tests/Deployment/AppHostWiringTests checks every environment key below against the services'
// options classes.
var builder = DistributedApplication.CreateBuilder(args);
var publishing = builder.ExecutionContext.IsPublishMode;

builder.AddDockerComposeEnvironment("compose");

// Host dirs, for run mode: the services run as host processes and nginx bind-mounts the master dir.
// Absolute and created up front, so nginx's mount and the watcher's check find them.
var dataDir = Path.GetFullPath(builder.Configuration["Dlopbox:DataDir"] ?? "../.dlopbox/aspire", builder.AppHostDirectory);
var masterDir = CreateDir(dataDir, "master");
string StateDir(string service) => CreateDir(dataDir, "state", service);

// Secrets: user secrets, Parameters__* environment variables, or the dashboard's prompt. They go
// unescaped into amqp:// URIs: letters, digits and . _ ~ - only (e.g. `openssl rand -hex 24`).
var rabbitUser = builder.AddParameter("rabbit-user");
var rabbitPassword = builder.AddParameter("rabbit-password", secret: true);
var rabbitInterfacePassword = builder.AddParameter("rabbit-interface-password", secret: true);
var rabbitClientPassword = builder.AddParameter("rabbit-client-password", secret: true);
var watcherToken = builder.AddParameter("watcher-token", secret: true);
var clientToken = builder.AddParameter("client-token", secret: true);

// AddRabbitMQ's user (the rabbit-user parameter) is the administrator, for people and for Aspire's
// health check. The services get least-privilege users instead, declared by the same entrypoint wrapper
// compose and Kubernetes use (deploy/rabbitmq/dlopbox-entrypoint.sh, permissions as in BrokerUser.cs);
// that is why the services get a hand-built connection string and not WithReference(rabbit).
var rabbit = builder.AddRabbitMQ(WireNames.RabbitConnection, rabbitUser, rabbitPassword)
    .WithManagementPlugin()
    .WithDataVolume()
    .WithBindMount("../deploy/rabbitmq/dlopbox-entrypoint.sh", "/opt/dlopbox/dlopbox-entrypoint.sh", isReadOnly: true)
    .WithEntrypoint("bash")
    .WithArgs("/opt/dlopbox/dlopbox-entrypoint.sh", "rabbitmq-server")
    .WithEnvironment("DLOPBOX_RABBITMQ_INTERFACE_PASSWORD", rabbitInterfacePassword)
    .WithEnvironment("DLOPBOX_RABBITMQ_CLIENT_PASSWORD", rabbitClientPassword);

var amqp = rabbit.GetEndpoint("tcp");
ReferenceExpression AmqpUri(string user, IResourceBuilder<ParameterResource> password) =>
    ReferenceExpression.Create(
        $"amqp://{user}:{password.Resource}@{amqp.Property(EndpointProperty.Host)}:{amqp.Property(EndpointProperty.Port)}/");

// The Interface's event log: database "dlopbox" (WireNames.EventLogDatabase), under the connection name "mongo".
var mongo = builder.AddMongoDB("mongodb")
    .WithDataVolume();
var eventLog = mongo.AddDatabase(WireNames.MongoConnection, databaseName: WireNames.EventLogDatabase);

// nginx, built from nginx/ (the official image + our template), serving the master dir read-only.
var nginx = builder.AddDockerfile(WireNames.FilesService, "../nginx")
    .WithBindMount(masterDir, "/www/data", isReadOnly: true)
    .WithHttpEndpoint(targetPort: 8080, name: "http")
    .WithHttpHealthCheck("/healthz");

var dlopboxInterface = builder.AddProject<Projects.Dlopbox_Interface>(WireNames.InterfaceService)
    .WithServiceEndpoint(5000, publishing)
    .WithExternalHttpEndpoints()
    .WithEnvironment("ConnectionStrings__" + WireNames.RabbitConnection, AmqpUri("dlopbox-interface", rabbitInterfacePassword))
    .WithReference(eventLog)
    .WithEnvironment("Interface__WatcherToken", watcherToken)
    .WithEnvironment("Interface__ClientToken", clientToken)
    .WithEnvironment("Interface__DataDir", publishing ? "/var/lib/dlopbox/interface" : StateDir("interface"))
    // The status page links each file of the master tree to nginx.
    .WithEnvironment("Interface__Live__FilesUrl", ReferenceExpression.Create($"{nginx.GetEndpoint("http")}{WireNames.FilesPathPrefix}"))
    .WaitFor(rabbit)
    .WaitFor(eventLog);

builder.AddProject<Projects.Dlopbox_Watcher>("watcher")
    .WithServiceEndpoint(5101, publishing)
    .WithEnvironment("Watcher__MasterDir", publishing ? "/shared" : masterDir)
    .WithEnvironment("Watcher__StateDir", publishing ? "/var/lib/dlopbox/watcher" : StateDir("watcher"))
    .WithEnvironment("Watcher__Token", watcherToken)
    .WithEnvironment("Watcher__Mode", builder.Configuration["Dlopbox:WatcherMode"] ?? "Inotify")
    .WithEnvironment("Watcher__Source", "watcher")
    .WithReference(dlopboxInterface)
    .WaitFor(dlopboxInterface)
    // In compose the watcher is a container: the master dir comes in as the same host dir nginx mounts.
    .PublishAsDockerComposeService((_, service) =>
        service.AddVolume(new Volume { Name = "master", Type = "bind", Source = "./mydocuments", Target = "/shared" }));

string[] clients = ["client-a", "client-b"];
for (var i = 0; i < clients.Length; i++)
{
    var name = clients[i];
    builder.AddProject<Projects.Dlopbox_Client>(name)
        .WithServiceEndpoint(5102 + i, publishing)
        .WithEnvironment("ConnectionStrings__" + WireNames.RabbitConnection, AmqpUri("dlopbox-client", rabbitClientPassword))
        .WithEnvironment("Client__Name", name)
        .WithEnvironment("Client__Token", clientToken)
        .WithEnvironment("Client__ReplicaDir", publishing ? "/replica" : CreateDir(dataDir, name))
        .WithEnvironment("Client__StateDir", publishing ? "/var/lib/dlopbox/client" : StateDir(name))
        .WithReference(dlopboxInterface)
        .WithReference(nginx.GetEndpoint("http"))
        .WaitFor(dlopboxInterface)
        .WaitFor(nginx)
        .PublishAsDockerComposeService((_, service) =>
            service.AddVolume(new Volume { Name = $"{name}-replica", Type = "volume", Source = $"{name}-replica", Target = "/replica" }));
}

builder.Build().Run();

static string CreateDir(params string[] parts)
{
    var path = Path.Combine(parts);
    Directory.CreateDirectory(path);
    return path;
}

internal static class DlopboxResourceExtensions
{
    /// <summary>
    /// The service's own HTTP endpoint (its API, /health and /alive) on a fixed port, not proxied. The
    /// services' appsettings.json set <c>Urls</c> (127.0.0.1, for the embedded default), and <c>Urls</c>
    /// outranks the ASPNETCORE_URLS Aspire sets, so it is set here too: to the same address in run mode,
    /// to every interface inside a published container.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoint(this IResourceBuilder<ProjectResource> project, int port, bool publishing) =>
        project
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            .WithEnvironment("Urls", publishing ? $"http://0.0.0.0:{port}" : $"http://localhost:{port}")
            .WithHttpHealthCheck("/health");
}

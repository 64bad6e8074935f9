using Dlopbox.AppHost;
using Dlopbox.Contracts;
using Microsoft.Extensions.Configuration;

// The dlopbox distributed application. `dotnet run --project Dlopbox.AppHost --launch-profile http` runs
// RabbitMQ, MongoDB and nginx in containers and the services as projects on the host, with the dashboard
// showing every trace. The hand-written docker-compose.yaml and deploy/k8s are the container deployments;
// Dlopbox.AppHost.Tests checks that they name the same services, connections and settings as this model.
//
// Names: resources and connection names are the ones the services read (Dlopbox.Contracts.WireNames).
var builder = DistributedApplication.CreateBuilder(args);
var publishing = builder.ExecutionContext.IsPublishMode;
var settings = builder.Configuration.GetSection(DlopboxSettings.Section).Get<DlopboxSettings>() ?? new DlopboxSettings();

// Host dirs, for run mode: the services run as host processes and nginx bind-mounts the master dir.
// Absolute and created up front, so nginx's mount and the watcher's check find them.
var dataDir = Path.GetFullPath(settings.DataDir, builder.AppHostDirectory);
var masterDir = CreateDir(dataDir, "master");
string StateDir(string service) => CreateDir(dataDir, "state", service);

// Secrets: user secrets, Parameters__* environment variables, or the dashboard's prompt. They go
// unescaped into amqp:// and mongodb:// URIs: letters, digits and . _ ~ - only (e.g. `openssl rand -hex 24`).
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
    // Before the configured image: it rejects an image it does not know.
    .WithManagementPlugin()
    .WithConfiguredImage(ImageSettings.Require(settings.Images.RabbitMQ, nameof(ImageSettings.RabbitMQ)));
// A named volume by default; a host dir under DataDir where the run must leave no volume (Dlopbox:DataVolumes=false).
rabbit = settings.DataVolumes ? rabbit.WithDataVolume() : rabbit.WithDataBindMount(StateDir("rabbit"));
rabbit
    .WithBindMount("../deploy/rabbitmq/dlopbox-entrypoint.sh", "/opt/dlopbox/dlopbox-entrypoint.sh", isReadOnly: true)
    .WithEntrypoint("bash")
    .WithArgs("/opt/dlopbox/dlopbox-entrypoint.sh", "rabbitmq-server")
    .WithEnvironment("DLOPBOX_RABBITMQ_INTERFACE_PASSWORD", rabbitInterfacePassword)
    .WithEnvironment("DLOPBOX_RABBITMQ_CLIENT_PASSWORD", rabbitClientPassword);

var amqp = rabbit.GetEndpoint("tcp");
ReferenceExpression AmqpUri(string user, IResourceBuilder<ParameterResource> password) =>
    ReferenceExpression.Create(
        $"amqp://{user}:{password.Resource}@{amqp.Property(EndpointProperty.Host)}:{amqp.Property(EndpointProperty.Port)}/");

// nginx: the stock image rendering our template (what nginx/Dockerfile bakes in), serving the master dir
// read-only. Its own default.conf is covered by an empty file, so that only our server answers.
var nginxImage = ImageSettings.Require(settings.Images.Nginx, nameof(ImageSettings.Nginx));
var nginx = builder.AddContainer(WireNames.FilesService, nginxImage.Image)
    .WithConfiguredImage(nginxImage)
    .WithBindMount("../nginx/templates/dlopbox.conf.template", "/etc/nginx/templates/dlopbox.conf.template", isReadOnly: true)
    .WithBindMount("nginx/default.conf", "/etc/nginx/conf.d/default.conf", isReadOnly: true)
    .WithBindMount(masterDir, "/www/data", isReadOnly: true)
    .WithEnvironment("DLOPBOX_NGINX_LISTEN", "8080")
    .WithEnvironment("DLOPBOX_MASTER_DIR", "/www/data")
    // envsubst replaces only these, leaving nginx's own $variables in the template alone.
    .WithEnvironment("NGINX_ENVSUBST_FILTER", "^DLOPBOX_")
    .WithHttpEndpoint(targetPort: 8080, name: "http")
    .WithHttpHealthCheck("/healthz");

var dlopboxInterface = builder.AddProject<Projects.Dlopbox_Interface>(WireNames.InterfaceService)
    .WithServiceEndpoint(5000, publishing)
    .WithExternalHttpEndpoints()
    .WithEnvironment("ConnectionStrings__" + WireNames.RabbitConnection, AmqpUri("dlopbox-interface", rabbitInterfacePassword))
    .WithEnvironment("Interface__WatcherToken", watcherToken)
    .WithEnvironment("Interface__ClientToken", clientToken)
    // The SQLite event log (Dlopbox:EventLog=Sqlite) and the Interface's other state live here.
    .WithEnvironment("Interface__DataDir", publishing ? "/var/lib/dlopbox/interface" : StateDir("interface"))
    // The status page links each file of the master tree to nginx.
    .WithEnvironment("Interface__Live__FilesUrl", ReferenceExpression.Create($"{nginx.GetEndpoint("http")}{WireNames.FilesPathPrefix}"))
    .WaitFor(rabbit);

// The Interface's event log in MongoDB: container "mongodb", connection string "mongo" (database dlopbox).
// Without it (Dlopbox:EventLog=Sqlite) the Interface gets no ConnectionStrings__mongo and logs to SQLite.
if (settings.EventLog == EventLogStore.MongoDB)
{
    var interfacePassword = builder.AddParameter("mongo-interface-password", secret: true);
    var mongo = builder.AddMongoDBContainer(
        "mongodb",
        ImageSettings.Require(settings.Images.MongoDB, nameof(ImageSettings.MongoDB)),
        rootUser: builder.AddParameter("mongo-root-user"),
        rootPassword: builder.AddParameter("mongo-root-password", secret: true),
        interfacePassword,
        settings.DataVolumes ? null : StateDir("mongodb"));
    var eventLog = builder.AddConnectionString(WireNames.MongoConnection, mongo.InterfaceConnectionString(interfacePassword));
    dlopboxInterface.WithReference(eventLog).WaitFor(mongo);
}

builder.AddProject<Projects.Dlopbox_Watcher>("watcher")
    .WithServiceEndpoint(5101, publishing)
    .WithEnvironment("Watcher__MasterDir", publishing ? "/shared" : masterDir)
    .WithEnvironment("Watcher__StateDir", publishing ? "/var/lib/dlopbox/watcher" : StateDir("watcher"))
    .WithEnvironment("Watcher__Token", watcherToken)
    .WithEnvironment("Watcher__Mode", settings.WatcherMode)
    .WithEnvironment("Watcher__Source", "watcher")
    .WithReference(dlopboxInterface)
    .WaitFor(dlopboxInterface);

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
        .WaitFor(nginx);
}

builder.Build().Run();

static string CreateDir(params string[] parts)
{
    var path = Path.Combine(parts);
    Directory.CreateDirectory(path);
    return path;
}

using Dlopbox.Contracts;

namespace Dlopbox.AppHost.Tests;

/// <summary>The model as appsettings.json configures it: every resource, its wiring, its environment and image.</summary>
public sealed class DefaultModelTests(DefaultAppModel model) : IClassFixture<DefaultAppModel>
{
    private static readonly string[] Parameters =
    [
        "rabbit-user", "rabbit-password", "rabbit-interface-password", "rabbit-client-password", "watcher-token", "client-token",
        "mongo-root-user", "mongo-root-password", "mongo-interface-password",
    ];

    [Fact]
    public void The_model_has_exactly_the_resources_the_services_and_deployments_name()
    {
        // Connection and service names are the services' (WireNames): the broker "rabbit", the event log's
        // connection "mongo" (container "mongodb"), nginx "nginx", the Interface "interface".
        string[] expected =
        [
            WireNames.RabbitConnection, "mongodb", WireNames.MongoConnection, WireNames.FilesService, WireNames.InterfaceService,
            "watcher", "client-a", "client-b", .. Parameters,
        ];
        // Aspire's own helpers: a hidden rebuilder per project (dotnet build on restart from the dashboard)
        // and RabbitMQ's URI-encoded copies of its user parameters.
        var projects = model.Model.Resources.OfType<ProjectResource>().Select(p => p.Name).ToHashSet();
        var names = model.Names
            .Where(n => !(n.EndsWith("-rebuilder", StringComparison.Ordinal) && projects.Contains(n[..^"-rebuilder".Length])))
            .Where(n => !n.EndsWith("-uri-encoded", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(expected.Order(), names.Order());
        Assert.IsType<RabbitMQServerResource>(model.Resource("rabbit"));
        Assert.IsType<ContainerResource>(model.Resource("mongodb"));
        Assert.IsType<ContainerResource>(model.Resource("nginx"));
        Assert.IsType<ConnectionStringResource>(model.Resource("mongo"));
        foreach (var project in new[] { "interface", "watcher", "client-a", "client-b" })
            Assert.IsType<ProjectResource>(model.Resource(project));
    }

    [Fact]
    public void Secrets_are_secret_parameters_and_user_names_are_not()
    {
        foreach (var name in Parameters)
        {
            var parameter = Assert.IsType<ParameterResource>(model.Resource(name));
            Assert.Equal(!name.EndsWith("-user", StringComparison.Ordinal), parameter.Secret);
        }
    }

    [Fact]
    public void Images_are_the_official_ones_from_appsettings_and_never_forced_to_pull()
    {
        var expected = new Dictionary<string, (string, string, string)>
        {
            ["rabbit"] = ("docker.io", "library/rabbitmq", "4.3-management"),
            ["mongodb"] = ("docker.io", "library/mongo", "8.0"),
            ["nginx"] = ("docker.io", "library/nginx", "1.28-alpine"),
        };
        foreach (var (name, (registry, image, tag)) in expected)
        {
            var resource = model.Resource(name);
            var annotation = AppModel.Image(resource);
            Assert.Equal((registry, image, tag), (annotation.Registry, annotation.Image, annotation.Tag));
            Assert.Equal(ImagePullPolicy.Missing, resource.Annotations.OfType<ContainerImagePullPolicyAnnotation>().Single().ImagePullPolicy);
        }
    }

    [Fact]
    public void Endpoints_are_the_ports_every_deployment_uses()
    {
        Assert.Equal(new Dictionary<string, int?> { ["tcp"] = 5672, ["management"] = 15672 }, Endpoints("rabbit"));
        Assert.Equal(new Dictionary<string, int?> { ["tcp"] = 27017 }, Endpoints("mongodb"));
        Assert.Equal(new Dictionary<string, int?> { ["http"] = 8080 }, Endpoints("nginx"));
        Assert.Equal(new Dictionary<string, int?> { ["http"] = 5000 }, Endpoints("interface"));
        Assert.Equal(new Dictionary<string, int?> { ["http"] = 5101 }, Endpoints("watcher"));
        Assert.Equal(new Dictionary<string, int?> { ["http"] = 5102 }, Endpoints("client-a"));
        Assert.Equal(new Dictionary<string, int?> { ["http"] = 5103 }, Endpoints("client-b"));

        // The services' ports are fixed and not proxied: their Urls setting names the same port.
        foreach (var project in new[] { "interface", "watcher", "client-a", "client-b" })
        {
            var http = model.Resource(project).Annotations.OfType<EndpointAnnotation>().Single();
            Assert.False(http.IsProxied);
            Assert.Equal(http.TargetPort, http.Port);
        }
        Assert.True(model.Resource("interface").Annotations.OfType<EndpointAnnotation>().Single().IsExternal);
    }

    [Fact]
    public void Projects_wait_for_what_they_use_and_have_health_checks()
    {
        Assert.Equal(["mongodb", "rabbit"], WaitsFor("interface"));
        Assert.Equal(["interface"], WaitsFor("watcher"));
        Assert.Equal(["interface", "nginx"], WaitsFor("client-a"));
        Assert.Equal(["interface", "nginx"], WaitsFor("client-b"));

        // What the waits wait for: every container and project has a health check.
        foreach (var name in new[] { "rabbit", "mongodb", "nginx", "interface", "watcher", "client-a", "client-b" })
            Assert.NotEmpty(model.Resource(name).Annotations.OfType<HealthCheckAnnotation>());
        Assert.Equal("mongodb_check", model.Resource("mongodb").Annotations.OfType<HealthCheckAnnotation>().Single().Key);
    }

    [Fact]
    public async Task The_Interface_gets_its_broker_user_the_event_log_and_its_settings()
    {
        var env = await model.EnvironmentAsync("interface");
        Assert.Equal("amqp://dlopbox-interface:{rabbit-interface-password.value}@{rabbit.bindings.tcp.host}:{rabbit.bindings.tcp.port}/", env["ConnectionStrings__rabbit"]);
        Assert.Equal("{mongo.connectionString}", env["ConnectionStrings__mongo"]);
        Assert.Equal("{watcher-token.value}", env["Interface__WatcherToken"]);
        Assert.Equal("{client-token.value}", env["Interface__ClientToken"]);
        Assert.Equal(Path.Combine(model.DataDir, "state", "interface"), env["Interface__DataDir"]);
        Assert.Equal("{nginx.bindings.http.url}/files/", env["Interface__Live__FilesUrl"]);
        Assert.Equal("http://localhost:5000", env["Urls"]);

        // The readWrite-only user of deploy/mongo's init script, in the event log's database, as compose and k8s.
        var mongo = Assert.IsType<ConnectionStringResource>(model.Resource("mongo"));
        Assert.Equal(
            "mongodb://dlopbox-interface:{mongo-interface-password.value}@{mongodb.bindings.tcp.host}:{mongodb.bindings.tcp.port}/dlopbox?authSource=dlopbox",
            mongo.ConnectionStringExpression.ValueExpression);
    }

    [Fact]
    public async Task The_watcher_watches_the_master_dir_nginx_serves()
    {
        var env = await model.EnvironmentAsync("watcher");
        var master = Path.Combine(model.DataDir, "master");
        Assert.Equal(master, env["Watcher__MasterDir"]);
        Assert.Equal(Path.Combine(model.DataDir, "state", "watcher"), env["Watcher__StateDir"]);
        Assert.Equal("{watcher-token.value}", env["Watcher__Token"]);
        Assert.Equal("Inotify", env["Watcher__Mode"]);
        Assert.Equal("watcher", env["Watcher__Source"]);
        Assert.Equal("{interface.bindings.http.url}", env["services__interface__http__0"]);
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
        Assert.True(Directory.Exists(master));

        var mounts = model.Resource("nginx").Annotations.OfType<ContainerMountAnnotation>().ToDictionary(m => m.Target);
        Assert.Equal(master, mounts["/www/data"].Source);
        Assert.True(mounts["/www/data"].IsReadOnly);
    }

    [Theory]
    [InlineData("client-a")]
    [InlineData("client-b")]
    public async Task Each_client_reads_the_stream_as_the_client_user_into_its_own_replica(string client)
    {
        var env = await model.EnvironmentAsync(client);
        Assert.Equal("amqp://dlopbox-client:{rabbit-client-password.value}@{rabbit.bindings.tcp.host}:{rabbit.bindings.tcp.port}/", env["ConnectionStrings__rabbit"]);
        Assert.Equal(client, env["Client__Name"]);
        Assert.Equal("{client-token.value}", env["Client__Token"]);
        Assert.Equal(Path.Combine(model.DataDir, client), env["Client__ReplicaDir"]);
        Assert.Equal(Path.Combine(model.DataDir, "state", client), env["Client__StateDir"]);
        Assert.Equal("{interface.bindings.http.url}", env["services__interface__http__0"]);
        Assert.Equal("{nginx.bindings.http.url}", env["services__nginx__http__0"]);
        Assert.False(env.ContainsKey("ConnectionStrings__mongo"));
    }

    [Fact]
    public async Task Rabbit_runs_the_users_wrapper_with_the_service_passwords()
    {
        var rabbit = model.Resource("rabbit");
        var env = await model.EnvironmentAsync("rabbit");
        // The administrator is Aspire's default user, which the wrapper falls back to.
        Assert.Equal("{rabbit-user.value}", env["RABBITMQ_DEFAULT_USER"]);
        Assert.Equal("{rabbit-password.value}", env["RABBITMQ_DEFAULT_PASS"]);
        Assert.Equal("{rabbit-interface-password.value}", env["DLOPBOX_RABBITMQ_INTERFACE_PASSWORD"]);
        Assert.Equal("{rabbit-client-password.value}", env["DLOPBOX_RABBITMQ_CLIENT_PASSWORD"]);
        Assert.Equal("bash", ((ContainerResource)rabbit).Entrypoint);

        var mounts = rabbit.Annotations.OfType<ContainerMountAnnotation>().ToDictionary(m => m.Target);
        Assert.Equal(RepoFile("deploy/rabbitmq/dlopbox-entrypoint.sh"), mounts["/opt/dlopbox/dlopbox-entrypoint.sh"].Source);
        Assert.Equal(ContainerMountType.Volume, mounts["/var/lib/rabbitmq"].Type);
    }

    [Fact]
    public async Task MongoDB_has_its_root_user_the_init_script_and_a_data_volume()
    {
        var mongo = model.Resource("mongodb");
        var env = await model.EnvironmentAsync("mongodb");
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["MONGO_INITDB_ROOT_USERNAME"] = "{mongo-root-user.value}",
                ["MONGO_INITDB_ROOT_PASSWORD"] = "{mongo-root-password.value}",
                ["DLOPBOX_MONGO_PASSWORD"] = "{mongo-interface-password.value}",
            },
            env);

        var mounts = mongo.Annotations.OfType<ContainerMountAnnotation>().ToDictionary(m => m.Target);
        Assert.Equal(ContainerMountType.Volume, mounts["/data/db"].Type);
        Assert.Equal(RepoFile("deploy/mongo/init-dlopbox-user.js"), mounts["/docker-entrypoint-initdb.d/10-dlopbox-user.js"].Source);
        Assert.True(mounts["/docker-entrypoint-initdb.d/10-dlopbox-user.js"].IsReadOnly);
    }

    [Fact]
    public async Task Nginx_renders_our_template_in_the_stock_image_and_nothing_else()
    {
        var env = await model.EnvironmentAsync("nginx");
        Assert.Equal(
            new Dictionary<string, string> { ["DLOPBOX_NGINX_LISTEN"] = "8080", ["DLOPBOX_MASTER_DIR"] = "/www/data", ["NGINX_ENVSUBST_FILTER"] = "^DLOPBOX_" },
            env);

        var mounts = model.Resource("nginx").Annotations.OfType<ContainerMountAnnotation>().ToDictionary(m => m.Target);
        Assert.Equal(RepoFile("nginx/templates/dlopbox.conf.template"), mounts["/etc/nginx/templates/dlopbox.conf.template"].Source);
        // The stock default server is covered by a file without a server block.
        var cover = mounts["/etc/nginx/conf.d/default.conf"].Source!;
        Assert.DoesNotContain(File.ReadAllLines(cover), line => line.TrimStart() is { Length: > 0 } l && !l.StartsWith('#'));
        Assert.All(mounts.Values.Where(m => m.Type == ContainerMountType.BindMount), m => Assert.True(m.IsReadOnly, m.Target));
        Assert.Empty(model.Resource("nginx").Annotations.OfType<DockerfileBuildAnnotation>());
    }

    private Dictionary<string, int?> Endpoints(string resource) =>
        model.Resource(resource).Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name, e => e.TargetPort);

    private string[] WaitsFor(string resource) =>
        [.. model.Resource(resource).Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Distinct().Order()];

    private static string RepoFile(string path) => Path.GetFullPath(Path.Combine(RepoRoot.Path, path));
}

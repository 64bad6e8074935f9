using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// docker-compose.yaml with its MongoDB override has the seeds' topology, as compose itself resolves the files:
/// the six services, master and nginx on one master dir, rabbit and mongo on volumes of their own, the Interface
/// on 5000, health-gated start order, a scalable client, ports on the host's loopback only, and no password
/// anywhere but in .env. The main file alone is the same without MongoDB (the Interface's SQLite event log), and
/// every base image is a variable whose default is the official image.
/// </summary>
public sealed partial class ComposeTopologyTests
{
    private static readonly Lazy<JsonObject> Model = new(() =>
    {
        var (model, result) = ComposeFile.Config(ComposeFile.FilledEnvironment());
        Assert.True(model is not null, $"compose rejected {ComposeFile.Path}: {result.Output}");
        return model!;
    });

    private static JsonObject Services => Model.Value["services"]!.AsObject();

    private static JsonObject Service(string name) =>
        Services[name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"no service {name} in {ComposeFile.Path}");

    [Fact]
    public void Has_the_seeds_services()
    {
        Assert.Equal(["client", "interface", "master", "mongo", "nginx", "rabbit"], Services.Select(s => s.Key).Order());
    }

    [Fact]
    public void Master_and_nginx_share_the_master_dir_and_nginx_only_reads_it()
    {
        var master = Mounts("master").Single(m => m.Target == "/shared");
        var nginx = Mounts("nginx").Single(m => m.Target == "/www/data");

        Assert.Equal(master.Source, nginx.Source);
        Assert.EndsWith("/mydocuments", master.Source);
        Assert.True(nginx.ReadOnly, "nginx must mount the master dir read-only");
        Assert.False(master.ReadOnly);
    }

    [Fact]
    public void Rabbit_and_mongo_keep_their_data_in_named_volumes_of_their_own()
    {
        var rabbit = Mounts("rabbit").Single(m => m.Target == "/var/lib/rabbitmq");
        var mongo = Mounts("mongo").Single(m => m.Target == "/data/db");
        var declared = Model.Value["volumes"]!.AsObject().Select(v => v.Key).ToHashSet();

        Assert.Equal("volume", rabbit.Type);
        Assert.Equal("volume", mongo.Type);
        Assert.NotEqual(rabbit.Source, mongo.Source);
        Assert.Contains(rabbit.Source, declared);
        Assert.Contains(mongo.Source, declared);
        // No other service touches them.
        foreach (var (name, _) in Services.Where(s => s.Key is not ("rabbit" or "mongo")))
            Assert.DoesNotContain(Mounts(name), m => m.Source == rabbit.Source || m.Source == mongo.Source);
    }

    [Fact]
    public void The_interface_listens_on_5000()
    {
        var ports = Service("interface")["ports"]!.AsArray().Select(Port).ToList();
        Assert.Contains(("5000", "5000"), ports);
    }

    [Fact]
    public void Every_published_port_is_on_the_hosts_loopback()
    {
        foreach (var (name, service) in Services)
        {
            foreach (var port in service!["ports"]?.AsArray() ?? [])
            {
                var hostIp = port is JsonValue s ? s.GetValue<string>().Split(':')[0] : port!["host_ip"]?.GetValue<string>();
                Assert.True(hostIp == "127.0.0.1", $"{name} publishes {port?.ToJsonString()} beyond the host's loopback");
            }
        }
    }

    [Fact]
    public void The_main_file_alone_leaves_mongo_out_and_the_interface_on_its_sqlite_event_log()
    {
        // No MONGO_* secret is needed then: only the override names them.
        var environment = ComposeFile.FilledEnvironment().Where(kv => !kv.Key.StartsWith("MONGO_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var (model, result) = ComposeFile.Config(environment, [ComposeFile.Path]);
        Assert.True(model is not null, $"compose rejected {ComposeFile.Path} alone: {result.Output}");
        var services = model!["services"]!.AsObject();

        Assert.Equal(["client", "interface", "master", "nginx", "rabbit"], services.Select(s => s.Key).Order());
        var face = services["interface"]!;
        Assert.Null(face["environment"]!["ConnectionStrings__mongo"]);
        Assert.Equal(["rabbit"], face["depends_on"]!.AsObject().Select(d => d.Key));
        Assert.DoesNotContain("mongo-data", model["volumes"]!.AsObject().Select(v => v.Key));
    }

    [Fact]
    public void Base_images_default_to_the_official_ones_and_follow_their_variables()
    {
        var official = Model.Value["services"]!.AsObject();
        Assert.Equal("rabbitmq:4-management", official["rabbit"]!["image"]!.GetValue<string>());
        Assert.Equal("mongo:8.0", official["mongo"]!["image"]!.GetValue<string>());
        Assert.Equal("nginx:1.28-alpine", official["nginx"]!["build"]!["args"]!["NGINX_IMAGE"]!.GetValue<string>());
        foreach (var dotnet in new[] { "interface", "master", "client" })
        {
            var args = official[dotnet]!["build"]!["args"]!;
            // The same defaults as the Dockerfiles' own ARGs, so compose and a bare docker build agree.
            Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", args["SDK_IMAGE"]!.GetValue<string>());
            Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", args["RUNTIME_IMAGE"]!.GetValue<string>());
            Assert.StartsWith("dlopbox/", official[dotnet]!["image"]!.GetValue<string>());
        }

        var local = new Dictionary<string, string>(ComposeFile.FilledEnvironment())
        {
            ["DLOPBOX_RABBITMQ_IMAGE"] = "dlopbox-local/rabbitmq:3.10-management",
            ["DLOPBOX_NGINX_IMAGE"] = "dlopbox-local/nginx:1.22",
            ["DLOPBOX_DOTNET_SDK_IMAGE"] = "dlopbox-local/dotnet-sdk:10.0",
            ["DLOPBOX_DOTNET_RUNTIME_IMAGE"] = "dlopbox-local/dotnet-aspnet:10.0",
            ["DLOPBOX_IMAGE_TAG"] = "local",
        };
        var (model, result) = ComposeFile.Config(local);
        Assert.True(model is not null, $"compose rejected the local image variables: {result.Output}");
        var services = model!["services"]!.AsObject();
        Assert.Equal("dlopbox-local/rabbitmq:3.10-management", services["rabbit"]!["image"]!.GetValue<string>());
        Assert.Equal("dlopbox-local/nginx:1.22", services["nginx"]!["build"]!["args"]!["NGINX_IMAGE"]!.GetValue<string>());
        Assert.Equal("dlopbox/nginx:local", services["nginx"]!["image"]!.GetValue<string>());
        foreach (var dotnet in new[] { "interface", "master", "client" })
        {
            Assert.Equal("dlopbox-local/dotnet-sdk:10.0", services[dotnet]!["build"]!["args"]!["SDK_IMAGE"]!.GetValue<string>());
            Assert.Equal("dlopbox-local/dotnet-aspnet:10.0", services[dotnet]!["build"]!["args"]!["RUNTIME_IMAGE"]!.GetValue<string>());
            Assert.EndsWith(":local", services[dotnet]!["image"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Every_service_has_a_health_check_and_starts_after_its_dependencies_are_healthy()
    {
        foreach (var (name, service) in Services)
        {
            var test = service!["healthcheck"]?["test"];
            Assert.True(test is JsonArray { Count: > 1 }, $"service {name} has no health check");
            foreach (var (dependency, condition) in service["depends_on"]?.AsObject() ?? [])
                Assert.True(condition?["condition"]?.GetValue<string>() == "service_healthy",
                    $"{name} must wait for {dependency} with condition: service_healthy");
        }

        Assert.Equal(["mongo", "rabbit"], DependsOn("interface"));
        Assert.Equal(["interface"], DependsOn("master"));
        Assert.Equal(["interface", "nginx"], DependsOn("client"));
    }

    [Fact]
    public void Client_scales_each_replica_with_its_own_volumes()
    {
        var client = Service("client");
        Assert.Null(client["container_name"]);
        Assert.Null(client["ports"]);
        var mounts = Mounts("client");
        Assert.NotEmpty(mounts);
        // Anonymous volumes: compose creates one per container, so `--scale client=3` gives three replicas.
        Assert.All(mounts, m => Assert.True(m.Type == "volume" && string.IsNullOrEmpty(m.Source), $"client mount {m.Target} is shared between replicas"));
        Assert.Contains(mounts, m => m.Target == "/replica");
    }

    [Fact]
    public void Services_read_least_privilege_broker_users_and_the_shared_tokens()
    {
        var env = Environment("interface");
        Assert.StartsWith("amqp://dlopbox-interface:", env["ConnectionStrings__rabbit"]);
        Assert.StartsWith("mongodb://dlopbox-interface:", env["ConnectionStrings__mongo"]);
        Assert.StartsWith("amqp://dlopbox-client:", Environment("client")["ConnectionStrings__rabbit"]);
        Assert.Equal(env["Interface__WatcherToken"], Environment("master")["Watcher__Token"]);
        Assert.Equal(env["Interface__ClientToken"], Environment("client")["Client__Token"]);
        Assert.NotEqual(env["Interface__WatcherToken"], env["Interface__ClientToken"]);
        Assert.Equal("http://interface:5000", Environment("master")["services__interface__http__0"]);
        Assert.Equal("http://nginx:8080", Environment("client")["services__nginx__http__0"]);
    }

    [Fact]
    public void Has_no_plaintext_or_default_password()
    {
        var root = RepoLayout.Root;
        // Comments may explain that there is no guest; the configuration itself must not name it.
        var text = string.Join('\n', ComposeFile.DefaultFiles.SelectMany(f => File.ReadAllLines(Path.Combine(root, f))).Where(l => !l.TrimStart().StartsWith('#')));
        Assert.DoesNotMatch(GuestRegex(), text);

        // Every secret is a required variable (${NAME:?...}), never a literal or a ${NAME:-default}.
        foreach (Match m in SecretAssignmentRegex().Matches(text))
            Assert.Matches(@"^\$\{[A-Z_]+:\?", m.Groups["value"].Value);
        foreach (Match m in UriCredentialRegex().Matches(text))
            Assert.Matches(@"^\$\{[A-Z_]+:\?", m.Groups["password"].Value);

        // .env.example gives no value to any secret, and compose refuses to run on it as it is.
        var example = File.ReadAllLines(Path.Combine(root, ".env.example"));
        var secrets = example.Where(l => SecretKeyRegex().IsMatch(l.Split('=')[0]) && l.Contains('=') && !l.StartsWith('#')).ToList();
        Assert.NotEmpty(secrets);
        Assert.All(secrets, l => Assert.EndsWith("=", l));
        var exampleValues = example.Where(l => !l.StartsWith('#') && l.Contains('='))
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
        var (model, result) = ComposeFile.Config(exampleValues);
        Assert.True(model is null, "compose must refuse to start with the empty secrets of .env.example");
        Assert.Contains("in .env", result.Output);
    }

    private sealed record Mount(string Type, string Source, string Target, bool ReadOnly);

    private static List<Mount> Mounts(string service) =>
        (Service(service)["volumes"]?.AsArray() ?? []).Select(v => v switch
        {
            JsonValue s => ParseShortMount(s.GetValue<string>()),
            _ => new Mount(
                v!["type"]?.GetValue<string>() ?? "volume",
                v["source"]?.GetValue<string>() ?? "",
                v["target"]!.GetValue<string>(),
                v["read_only"]?.GetValue<bool>() ?? false),
        }).ToList();

    // compose v1 prints mounts in the short syntax: [SOURCE:]TARGET[:MODE].
    private static Mount ParseShortMount(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length == 1)
            return new Mount("volume", "", parts[0], false);
        var type = parts[0].StartsWith('/') || parts[0].StartsWith('.') ? "bind" : "volume";
        return new Mount(type, parts[0], parts[1], parts.Length > 2 && parts[2].Split(',').Contains("ro"));
    }

    private static (string Published, string Target) Port(JsonNode? port) => port switch
    {
        JsonValue s => (s.GetValue<string>().Split(':')[^2], s.GetValue<string>().Split(':')[^1].Split('/')[0]),
        _ => (port!["published"]!.ToString(), port["target"]!.ToString()),
    };

    private static List<string> DependsOn(string service) =>
        (Service(service)["depends_on"]?.AsObject() ?? []).Select(d => d.Key).Order().ToList();

    private static Dictionary<string, string> Environment(string service) =>
        Service(service)["environment"]!.AsObject().ToDictionary(e => e.Key, e => e.Value?.ToString() ?? "");

    [GeneratedRegex(@"\bguest\b", RegexOptions.IgnoreCase)]
    private static partial Regex GuestRegex();

    [GeneratedRegex(@"^\s*(?<key>[A-Za-z_]*(PASSWORD|PASS|TOKEN|Token)[A-Za-z_]*):\s*(?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SecretAssignmentRegex();

    [GeneratedRegex(@"(amqp|mongodb)://[^:/\s]+:(?<password>\$\{[^}]*\}|[^@\s]+)@")]
    private static partial Regex UriCredentialRegex();

    [GeneratedRegex(@"(PASSWORD|TOKEN)$")]
    private static partial Regex SecretKeyRegex();
}

using System.Text.RegularExpressions;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// docker-compose.yaml and deploy/k8s are written by hand; the manifest is what Aspire derives from the
/// model. Both must name the same services, connections and settings. Where they legitimately differ,
/// the difference is listed here, so a new one fails.
/// </summary>
public sealed partial class ManifestDeploymentTests(PublishedManifest manifest) : IClassFixture<PublishedManifest>
{
    /// <summary>Model resource → the deployments' service: one compose service / k8s workload per resource,
    /// except the watcher (called master there) and the two clients (one service, scaled).</summary>
    private static readonly Dictionary<string, string> ServiceOf = new()
    {
        ["rabbit"] = "rabbit",
        ["mongodb"] = "mongo",
        ["nginx"] = "nginx",
        ["interface"] = "interface",
        ["watcher"] = "master",
        ["client-a"] = "client",
        ["client-b"] = "client",
    };

    /// <summary>Keys Aspire sets for its own run (telemetry, ports, its endpoint variables) and keys only an
    /// image's built-in health check reads: not the services' settings.</summary>
    private static bool IsPlumbing(string key) =>
        key.StartsWith("OTEL_", StringComparison.Ordinal)
        || key is "HTTP_PORTS" or "ASPNETCORE_FORWARDEDHEADERS_ENABLED" or "DLOPBOX_HEALTH_PORT"
        || EndpointVariableRegex().IsMatch(key);

    /// <summary>The same setting under another name: Aspire's RabbitMQ passes its administrator as the
    /// image's default user, which deploy/rabbitmq/dlopbox-entrypoint.sh takes when its own is unset.</summary>
    private static readonly Dictionary<string, string> Renamed = new()
    {
        ["RABBITMQ_DEFAULT_USER"] = "DLOPBOX_RABBITMQ_ADMIN_USER",
        ["RABBITMQ_DEFAULT_PASS"] = "DLOPBOX_RABBITMQ_ADMIN_PASSWORD",
    };

    /// <summary>(deployment, service, key) the model sets and that deployment leaves to its default, on purpose.</summary>
    private static readonly HashSet<(string, string, string)> LeftToDefault =
    [
        // `docker compose up --scale client=N`: each replica is named after its container's host name.
        ("compose", "client", "Client__Name"),
    ];

    public static TheoryData<string> DeploymentNames() => ["compose", "k8s"];

    private static IReadOnlyDictionary<string, DeployedService> Deployment(string name) =>
        name == "compose" ? Deployments.Compose() : Deployments.Kubernetes();

    [Theory]
    [MemberData(nameof(DeploymentNames))]
    public void Every_container_and_project_of_the_model_is_a_service_of_the_deployment_and_nothing_else(string deployment)
    {
        var computed = manifest.Resources.Where(r => r.Value!["type"]!.GetValue<string>() is "container.v0" or "project.v0").Select(r => r.Key).ToList();
        Assert.Equal(ServiceOf.Keys.Order(), computed.Order());
        Assert.Equal(ServiceOf.Values.Distinct().Order(), Deployment(deployment).Keys.Order());
    }

    [Theory]
    [MemberData(nameof(DeploymentNames))]
    public void Each_service_sets_the_keys_the_model_sets(string deployment)
    {
        var services = Deployment(deployment);
        foreach (var group in ServiceOf.GroupBy(kv => kv.Value, kv => kv.Key))
        {
            var modelKeys = group.SelectMany(r => manifest.Environment(r).Keys)
                .Where(k => !IsPlumbing(k))
                .Select(k => Renamed.GetValueOrDefault(k, k))
                .Where(k => !LeftToDefault.Contains((deployment, group.Key, k)))
                .ToHashSet();
            var deployedKeys = services[group.Key].Environment.Keys.Where(k => !IsPlumbing(k)).ToHashSet();
            Assert.True(
                modelKeys.SetEquals(deployedKeys),
                $"{deployment} {group.Key} vs the model's {string.Join("/", group)}: only in the model {Show(modelKeys.Except(deployedKeys))}, only in {deployment} {Show(deployedKeys.Except(modelKeys))}");
        }
    }

    [Theory]
    [MemberData(nameof(DeploymentNames))]
    public void Connection_strings_and_service_urls_name_the_same_user_host_port_and_database(string deployment)
    {
        var services = Deployment(deployment);
        var checkedValues = 0;
        foreach (var (resource, service) in ServiceOf)
        {
            foreach (var (key, value) in manifest.Environment(resource))
            {
                if (!key.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && !key.StartsWith("services__", StringComparison.Ordinal))
                    continue;
                var expected = Shape(Resolve(value));
                var actual = Shape(services[service].Environment[key]);
                Assert.True(expected == actual, $"{deployment} {service} {key}: the model has {expected}, {deployment} {actual}");
                checkedValues++;
            }
        }
        // rabbit, mongo, interface×2 (watcher, clients), nginx: in every resource that references them.
        Assert.Equal(9, checkedValues);
    }

    [Theory]
    [MemberData(nameof(DeploymentNames))]
    public void Containers_run_the_same_images_as_the_model(string deployment)
    {
        var services = Deployment(deployment);
        foreach (var (resource, service) in ServiceOf.Where(kv => manifest.Resource(kv.Key)["type"]!.GetValue<string>() == "container.v0"))
        {
            var image = manifest.Resource(resource)["image"]!.GetValue<string>();
            var deployed = services[service].Image!;
            // nginx runs our image in the deployments: the same stock image with the template baked in.
            if (deployed.StartsWith("dlopbox/nginx", StringComparison.Ordinal))
                deployed = FromImage("nginx/Dockerfile");
            Assert.Equal(Repository(image), Repository(deployed));
        }
    }

    /// <summary>A manifest value with its {resource.bindings.name.host}/port/url placeholders replaced by the
    /// deployments' service names and the model's target ports: what the value is inside a deployment.</summary>
    private string Resolve(string value)
    {
        var connection = ConnectionStringRegex().Match(value);
        if (connection.Success)
            value = manifest.Resource(connection.Groups["resource"].Value)["connectionString"]!.GetValue<string>();
        value = BindingRegex().Replace(value, m =>
        {
            var (resource, binding, part) = (m.Groups["resource"].Value, m.Groups["binding"].Value, m.Groups["part"].Value);
            var (host, port) = (ServiceOf[resource], manifest.TargetPort(resource, binding));
            return part switch
            {
                "host" => host,
                "port" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => $"{manifest.Resource(resource)["bindings"]![binding]!["scheme"]!.GetValue<string>()}://{host}:{port}",
            };
        });
        return value;
    }

    /// <summary>A URI with its password (a parameter, a ${VAR} or a $(VAR)) left out.</summary>
    private static string Shape(string uri) => PasswordRegex().Replace(uri, "${user}:***@");

    private static string Repository(string image)
    {
        var parsed = ContainerImage.Parse(image);
        var name = parsed.Image.Contains('/', StringComparison.Ordinal) ? parsed.Image : "library/" + parsed.Image;
        return (parsed.Registry ?? "docker.io") + "/" + name;
    }

    /// <summary>The Dockerfile's base image; a build argument (FROM ${NAME}) is its ARG's default, the official image.</summary>
    private static string FromImage(string dockerfile)
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot.Path, dockerfile));
        var image = FromRegex().Match(text).Groups["image"].Value;
        var argument = BuildArgumentRegex().Match(image);
        if (!argument.Success)
            return image;
        return ArgDefaultRegex().Matches(text).Single(m => m.Groups["name"].Value == argument.Groups["name"].Value).Groups["value"].Value;
    }

    private static string Show(IEnumerable<string> keys) => keys.Any() ? string.Join(", ", keys.Order()) : "(none)";

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]*_HTTPS?$")]
    private static partial Regex EndpointVariableRegex();

    [GeneratedRegex(@"^\{(?<resource>[a-z0-9-]+)\.connectionString\}$")]
    private static partial Regex ConnectionStringRegex();

    [GeneratedRegex(@"\{(?<resource>[a-z0-9-]+)\.bindings\.(?<binding>[a-z0-9-]+)\.(?<part>host|port|url)\}")]
    private static partial Regex BindingRegex();

    [GeneratedRegex(@"(?<user>[^:/@]+):[^@]+@")]
    private static partial Regex PasswordRegex();

    [GeneratedRegex(@"^FROM\s+(?<image>\S+)", RegexOptions.Multiline)]
    private static partial Regex FromRegex();

    [GeneratedRegex(@"^\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}$")]
    private static partial Regex BuildArgumentRegex();

    [GeneratedRegex(@"^ARG\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex ArgDefaultRegex();
}

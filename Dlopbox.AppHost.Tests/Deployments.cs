using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Dlopbox.AppHost.Tests;

/// <summary>A service of a hand-written deployment: its image and the environment it sets, Dockerfile ENV included.</summary>
public sealed record DeployedService(string Name, string? Image, IReadOnlyDictionary<string, string> Environment);

/// <summary>docker-compose.yaml and deploy/k8s read as YAML (the keys, not compose's interpolation of the values).</summary>
public static partial class Deployments
{
    /// <summary>The Dockerfile each locally built image comes from: its ENV is part of the service's environment.</summary>
    private static readonly Dictionary<string, string> Dockerfiles = new()
    {
        ["dlopbox/interface"] = "Dlopbox.Interface/Dockerfile",
        ["dlopbox/watcher"] = "Dlopbox.Watcher/Dockerfile",
        ["dlopbox/client"] = "Dlopbox.Client/Dockerfile",
        ["dlopbox/nginx"] = "nginx/Dockerfile",
    };

    public static IReadOnlyDictionary<string, DeployedService> Compose()
    {
        var root = Load("docker-compose.yaml").Single();
        var services = (YamlMappingNode)root["services"];
        return services.Children.ToDictionary(
            kv => Scalar(kv.Key),
            kv =>
            {
                var service = (YamlMappingNode)kv.Value;
                var image = service.Children.TryGetValue("image", out var i) ? Scalar(i) : null;
                var environment = new Dictionary<string, string>();
                if (service.Children.TryGetValue("environment", out var env))
                {
                    foreach (var (key, value) in ((YamlMappingNode)env).Children)
                        environment[Scalar(key)] = Scalar(value);
                }
                return new DeployedService(Scalar(kv.Key), image, WithDockerfileEnvironment(image, environment));
            });
    }

    /// <summary>The Deployments and StatefulSets of deploy/k8s, by name; each has one container.</summary>
    public static IReadOnlyDictionary<string, DeployedService> Kubernetes()
    {
        var result = new Dictionary<string, DeployedService>();
        var kustomization = Load("deploy/k8s/kustomization.yaml").Single();
        foreach (var file in ((YamlSequenceNode)kustomization["resources"]).Children.Select(Scalar).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal)))
        {
            foreach (var document in Load("deploy/k8s/" + file))
            {
                if (Scalar(document["kind"]) is not ("Deployment" or "StatefulSet"))
                    continue;
                var name = Scalar(document["metadata"]["name"]);
                var container = (YamlMappingNode)((YamlSequenceNode)document["spec"]["template"]["spec"]["containers"]).Children.Single();
                var image = Scalar(container["image"]);
                var environment = new Dictionary<string, string>();
                if (container.Children.TryGetValue("env", out var env))
                {
                    foreach (var entry in ((YamlSequenceNode)env).Children.Cast<YamlMappingNode>())
                        environment[Scalar(entry["name"])] = entry.Children.TryGetValue("value", out var v) ? Scalar(v) : "(from a secret, config map or field)";
                }
                // Variables defined only to be expanded as $(NAME) in later values are no settings of their own.
                var expanded = environment.Values.SelectMany(v => ExpansionRegex().Matches(v).Select(m => m.Groups["name"].Value)).ToHashSet();
                foreach (var helper in expanded)
                    environment.Remove(helper);
                result[name] = new DeployedService(name, image, WithDockerfileEnvironment(image, environment));
            }
        }
        return result;
    }

    private static Dictionary<string, string> WithDockerfileEnvironment(string? image, Dictionary<string, string> environment)
    {
        var repository = image?.Split(':')[0];
        if (repository is null || !Dockerfiles.TryGetValue(repository, out var dockerfile))
            return environment;
        var merged = new Dictionary<string, string>(environment);
        var text = File.ReadAllText(Path.Combine(RepoRoot.Path, dockerfile)).Replace("\\\n", " ", StringComparison.Ordinal);
        foreach (Match line in DockerfileEnvRegex().Matches(text))
        {
            foreach (Match pair in EnvPairRegex().Matches(line.Groups["pairs"].Value))
                merged.TryAdd(pair.Groups["key"].Value, pair.Groups["value"].Value);
        }
        return merged;
    }

    private static List<YamlNode> Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepoRoot.Path, path));
        stream.Load(reader);
        return [.. stream.Documents.Select(d => d.RootNode)];
    }

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    [GeneratedRegex(@"\$\((?<name>[A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex ExpansionRegex();

    [GeneratedRegex(@"^ENV\s+(?<pairs>.+)$", RegexOptions.Multiline)]
    private static partial Regex DockerfileEnvRegex();

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>\S*)")]
    private static partial Regex EnvPairRegex();
}

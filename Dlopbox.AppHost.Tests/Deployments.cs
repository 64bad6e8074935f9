using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Dlopbox.AppHost.Tests;

/// <summary>A service of a hand-written deployment: its image and the environment it sets, Dockerfile ENV included.</summary>
public sealed record DeployedService(string Name, string? Image, IReadOnlyDictionary<string, string> Environment);

/// <summary>docker-compose.yaml (with its override) and deploy/k8s read as YAML (the keys, not compose's interpolation of the values).</summary>
public static partial class Deployments
{
    /// <summary>The Dockerfile (and its target, when it has several) each locally built image comes from: the ENV of
    /// that stage and of the stages it is built on is part of the service's environment.</summary>
    private static readonly Dictionary<string, (string File, string? Target)> Dockerfiles = new()
    {
        ["dlopbox/interface"] = ("Dockerfile", "interface"),
        ["dlopbox/watcher"] = ("Dockerfile", "watcher"),
        ["dlopbox/client"] = ("Dockerfile", "client"),
        ["dlopbox/nginx"] = ("nginx/Dockerfile", null),
    };

    /// <summary>
    /// The services of docker-compose.yaml merged with docker-compose.override.yaml (MongoDB's part), as compose
    /// merges the two when no -f is given: the override adds services, and environment keys to existing ones.
    /// </summary>
    public static IReadOnlyDictionary<string, DeployedService> Compose()
    {
        var images = new Dictionary<string, string?>();
        var environments = new Dictionary<string, Dictionary<string, string>>();
        foreach (var file in new[] { "docker-compose.yaml", "docker-compose.override.yaml" })
        {
            var services = (YamlMappingNode)Load(file).Single()["services"];
            foreach (var (key, value) in services.Children)
            {
                var name = Scalar(key);
                var service = (YamlMappingNode)value;
                // compose's ${NAME:-default}: the default is what a user without those variables runs.
                if (service.Children.TryGetValue("image", out var i))
                    images[name] = VariableDefaultRegex().Replace(Scalar(i), m => m.Groups["default"].Value);
                else
                    images.TryAdd(name, null);
                var environment = environments.TryGetValue(name, out var known) ? known : environments[name] = [];
                if (service.Children.TryGetValue("environment", out var env))
                {
                    foreach (var (k, v) in ((YamlMappingNode)env).Children)
                        environment[Scalar(k)] = Scalar(v);
                }
            }
        }
        return images.ToDictionary(kv => kv.Key, kv => new DeployedService(kv.Key, kv.Value, WithDockerfileEnvironment(kv.Value, environments[kv.Key])));
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
        var text = File.ReadAllText(Path.Combine(RepoRoot.Path, dockerfile.File)).Replace("\\\n", " ", StringComparison.Ordinal);
        foreach (var stage in StagesOf(text, dockerfile.Target))
        {
            foreach (Match line in DockerfileEnvRegex().Matches(stage))
            {
                foreach (Match pair in EnvPairRegex().Matches(line.Groups["pairs"].Value))
                    merged.TryAdd(pair.Groups["key"].Value, pair.Groups["value"].Value);
            }
        }
        return merged;
    }

    /// <summary>The text of the target stage and of each stage it is built FROM, nearest first; the whole file when
    /// there is no target (a single-stage image).</summary>
    private static IEnumerable<string> StagesOf(string text, string? target)
    {
        if (target is null)
        {
            yield return text;
            yield break;
        }
        var froms = StageRegex().Matches(text).ToList();
        var stages = froms.Select((m, i) => (Name: m.Groups["name"].Value, Base: m.Groups["base"].Value,
            Text: text[m.Index..(i + 1 < froms.Count ? froms[i + 1].Index : text.Length)])).ToList();
        for (var name = target; stages.SingleOrDefault(s => s.Name == name) is { Text: not null } stage; name = stage.Base)
            yield return stage.Text;
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

    [GeneratedRegex(@"\$\{[A-Za-z_][A-Za-z0-9_]*:-(?<default>[^}]*)\}")]
    private static partial Regex VariableDefaultRegex();

    [GeneratedRegex(@"^FROM\s+(?<base>\S+)\s+AS\s+(?<name>\S+)", RegexOptions.Multiline)]
    private static partial Regex StageRegex();

    [GeneratedRegex(@"^ENV\s+(?<pairs>.+)$", RegexOptions.Multiline)]
    private static partial Regex DockerfileEnvRegex();

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>\S*)")]
    private static partial Regex EnvPairRegex();
}

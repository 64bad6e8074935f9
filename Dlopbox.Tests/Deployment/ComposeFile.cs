using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// docker-compose.yaml (with docker-compose.override.yaml, MongoDB's part, which compose reads with it when no -f
/// is given) as compose itself resolves it (interpolation, .env handling, schema validation):
/// `docker compose config --format json` where the compose plugin is installed, else Debian's
/// docker-compose (v1, what .ci/run installs), whose normalized YAML is turned into JSON with PyYAML (a
/// dependency of that package). Neither needs a Docker engine.
/// </summary>
internal static class ComposeFile
{
    public const string Path = "docker-compose.yaml";
    public const string MongoOverride = "docker-compose.override.yaml";

    /// <summary>What `docker compose up` reads in the repo root: the main file and the MongoDB override.</summary>
    public static readonly string[] DefaultFiles = [Path, MongoOverride];

    /// <summary>Every variable .env.example leaves empty, with a random value, as a user's .env would have.</summary>
    public static Dictionary<string, string> FilledEnvironment()
    {
        var values = new Dictionary<string, string>();
        foreach (var line in File.ReadAllLines(System.IO.Path.Combine(Embedded.RepoLayout.Root, ".env.example")))
        {
            if (line.StartsWith('#') || !line.Contains('='))
                continue;
            var (key, value) = (line[..line.IndexOf('=')], line[(line.IndexOf('=') + 1)..]);
            values[key] = value.Length > 0 ? value : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }
        return values;
    }

    /// <summary>
    /// The compose command here: the v2 plugin (<c>docker compose</c>) where it is installed, else Debian's v1
    /// <c>docker-compose</c>; fails the test, saying how to get one, when neither is.
    /// </summary>
    public static (string Command, string[] Prefix) Command()
    {
        if (HasComposePlugin())
            return ("docker", ["compose"]);
        Tool.Require("docker-compose", "install Debian's docker-compose (apt-get install docker-compose) or the docker compose plugin");
        return ("docker-compose", []);
    }

    /// <summary>Runs compose's own `config` with an env file; returns the resolved model, or the failure.</summary>
    public static (JsonObject? Model, Tool.Result Result) Config(IReadOnlyDictionary<string, string> envFile, IReadOnlyList<string>? files = null)
    {
        using var env = new EnvFile(envFile);
        var fileArgs = (files ?? DefaultFiles).SelectMany(f => new[] { "-f", f }).ToList();
        var (command, prefix) = Command();
        if (command == "docker")
        {
            var v2 = Tool.Run(command, [.. prefix, "--env-file", env.Path, .. fileArgs, "config", "--format", "json"]);
            return (v2.ExitCode == 0 ? JsonNode.Parse(v2.Stdout)!.AsObject() : null, v2);
        }

        var v1 = Tool.Run(command, ["--env-file", env.Path, .. fileArgs, "config"]);
        if (v1.ExitCode != 0)
            return (null, v1);
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var json = Tool.Run(python, ["-c", "import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"], stdin: v1.Stdout);
        Assert.True(json.ExitCode == 0, $"could not convert compose's YAML to JSON with PyYAML: {json.Output}");
        return (JsonNode.Parse(json.Stdout)!.AsObject(), v1);
    }

    private static bool HasComposePlugin() =>
        Tool.Exists("docker") && Tool.Run("docker", ["compose", "version"], timeoutSeconds: 30).ExitCode == 0;
}

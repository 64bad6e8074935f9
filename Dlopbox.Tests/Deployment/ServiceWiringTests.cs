using System.Reflection;
using System.Text.RegularExpressions;
using Dlopbox.Client;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using Dlopbox.Interface;
using Dlopbox.Watcher;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// The names every deployment gives the services are the names the services read: the AppHost's
/// resource and connection names, and each Watcher__/Client__/Interface__/ConnectionStrings__/services__
/// key set by the AppHost, docker-compose.yaml, Kubernetes, the plain docker recipe and the Dockerfiles,
/// checked against the options classes. The AppHost's keys are read from its source here;
/// Dlopbox.AppHost.Tests checks its built model (names, references, values).
/// </summary>
public sealed partial class ServiceWiringTests
{
    private static string Read(string path) => File.ReadAllText(Path.Combine(RepoLayout.Root, path));

    public static TheoryData<string> DeploymentFiles() =>
    [
        "Dlopbox.AppHost/AppHost.cs",
        "docker-compose.yaml",
        "deploy/docker-cli.sh",
        "deploy/k8s/interface.yaml",
        "deploy/k8s/master.yaml",
        "deploy/k8s/client.yaml",
        "Dockerfile",
    ];

    [Theory]
    [MemberData(nameof(DeploymentFiles))]
    public void Every_settings_key_names_an_option_the_service_reads(string file)
    {
        var text = Read(file);
        var keys = SettingKeyRegex().Matches(text).Select(m => (Section: m.Groups["section"].Value, Key: m.Groups["key"].Value)).Distinct().ToList();
        Assert.NotEmpty(keys);
        foreach (var (section, key) in keys)
        {
            // A nested section (Interface__Live__FilesUrl) is its own options class.
            var path = (section + "__" + key).Split("__");
            var (sectionName, name) = (string.Join(':', path[..^1]), path[^1]);
            var options = sectionName switch
            {
                WatcherOptions.Section => typeof(WatcherOptions),
                InterfaceOptions.Section => typeof(InterfaceOptions),
                Dlopbox.Interface.Live.LiveOptions.Section => typeof(Dlopbox.Interface.Live.LiveOptions),
                ClientOptions.Section => typeof(ClientOptions),
                _ => throw new Xunit.Sdk.XunitException($"{file}: unknown section {sectionName}"),
            };
            var property = options.GetProperty(name, BindingFlags.Public | BindingFlags.Instance);
            Assert.True(property is { CanWrite: true }, $"{file} sets {section}__{key}, but {options.Name} has no such setting");
        }

        foreach (Match m in ConnectionStringRegex().Matches(text))
            Assert.Contains(m.Groups["name"].Value, new[] { WireNames.RabbitConnection, WireNames.MongoConnection });
        foreach (Match m in ServiceUrlRegex().Matches(text))
            Assert.Contains(m.Groups["name"].Value, new[] { WireNames.InterfaceService, WireNames.FilesService });
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // Unix file modes; dlopbox runs on Linux
    public void Rabbit_wrapper_declares_the_embedded_brokers_users_and_no_guest()
    {
        // Runs the container entrypoint wrapper with a stand-in for the image's docker-entrypoint.sh and
        // compares the definitions it writes with the embedded default's users (BrokerUser).
        var dir = Directory.CreateTempSubdirectory("dlopbox-rabbit-wrapper-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "conf.d"));
            File.WriteAllText(Path.Combine(dir, "docker-entrypoint.sh"), "#!/bin/sh\necho \"started: $*\"\n");
            File.SetUnixFileMode(Path.Combine(dir, "docker-entrypoint.sh"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var result = Tool.Run("bash", [Path.Combine(RepoLayout.Root, "deploy/rabbitmq/dlopbox-entrypoint.sh")], environment: new Dictionary<string, string>
            {
                ["PATH"] = dir + ":" + System.Environment.GetEnvironmentVariable("PATH"),
                ["DLOPBOX_RABBITMQ_CONF_DIR"] = Path.Combine(dir, "conf.d"),
                ["DLOPBOX_RABBITMQ_DEFINITIONS"] = Path.Combine(dir, "definitions.json"),
                ["DLOPBOX_RABBITMQ_ADMIN_USER"] = "admin",
                ["DLOPBOX_RABBITMQ_ADMIN_PASSWORD"] = "a1",
                ["DLOPBOX_RABBITMQ_INTERFACE_PASSWORD"] = "i1",
                ["DLOPBOX_RABBITMQ_CLIENT_PASSWORD"] = "c1",
            });
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains("started: rabbitmq-server", result.Stdout);
            Assert.Contains($"load_definitions = {Path.Combine(dir, "definitions.json")}", File.ReadAllText(Path.Combine(dir, "conf.d", "90-dlopbox.conf")));

            var definitions = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "definitions.json")))!;
            var users = definitions["users"]!.AsArray().ToDictionary(u => u!["name"]!.GetValue<string>(), u => u!["password"]!.GetValue<string>());
            Assert.Equal(new Dictionary<string, string> { ["admin"] = "a1", ["dlopbox-interface"] = "i1", ["dlopbox-client"] = "c1" }, users);
            var permissions = definitions["permissions"]!.AsArray().ToDictionary(
                p => p!["user"]!.GetValue<string>(),
                p => (p!["configure"]!.GetValue<string>(), p["write"]!.GetValue<string>(), p["read"]!.GetValue<string>()));
            foreach (var expected in new[] { BrokerUser.Interface("i1"), BrokerUser.Client("c1", WireNames.EventStream) })
                Assert.Equal((expected.Configure, expected.Write, expected.Read), permissions[expected.Name]);

            // Without its secrets, or with guest as the admin, it refuses to start the broker.
            var refused = Tool.Run("bash", [Path.Combine(RepoLayout.Root, "deploy/rabbitmq/dlopbox-entrypoint.sh")], environment: new Dictionary<string, string>
            {
                ["PATH"] = dir + ":" + System.Environment.GetEnvironmentVariable("PATH"),
                ["DLOPBOX_RABBITMQ_CONF_DIR"] = Path.Combine(dir, "conf.d"),
                ["DLOPBOX_RABBITMQ_DEFINITIONS"] = Path.Combine(dir, "definitions.json"),
                ["DLOPBOX_RABBITMQ_ADMIN_USER"] = "guest",
                ["DLOPBOX_RABBITMQ_ADMIN_PASSWORD"] = "guest",
                ["DLOPBOX_RABBITMQ_INTERFACE_PASSWORD"] = "",
                ["DLOPBOX_RABBITMQ_CLIENT_PASSWORD"] = "c1",
            });
            Assert.NotEqual(0, refused.ExitCode);
            Assert.DoesNotContain("started:", refused.Stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_one_solution_holds_every_project_and_is_what_dlopbox_and_CI_build()
    {
        // The Aspire projects build here like the rest, so there is no filter leaving them out.
        var inSolution = ProjectPathRegex().Matches(Read("Dlopbox.sln")).Select(m => m.Groups["path"].Value.Replace('\\', '/')).ToHashSet();
        var projects = Directory.EnumerateFiles(RepoLayout.Root, "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepoLayout.Root, p).Replace('\\', '/'))
            .Where(p => !p.Split('/').Any(part => part is "artifacts" or "node_modules" or "bin" or "obj" || part.StartsWith('.')))
            .ToHashSet();

        Assert.Contains("Dlopbox.AppHost/Dlopbox.AppHost.csproj", inSolution);
        Assert.Contains("Dlopbox.AppHost.Tests/Dlopbox.AppHost.Tests.csproj", inSolution);
        Assert.Equal(projects.Order(), inSolution.Order());
        Assert.False(File.Exists(Path.Combine(RepoLayout.Root, "Dlopbox.Local.slnf")));
        Assert.Contains("SOLUTION=Dlopbox.sln", Read("dlopbox"));
        Assert.Contains("dotnet restore Dlopbox.sln", Read(".ci/run"));
    }

    [GeneratedRegex(@"\b(?<section>Watcher|Interface|Client)__(?<key>[A-Za-z]+(?:__[A-Za-z]+)*)\b")]
    private static partial Regex SettingKeyRegex();

    [GeneratedRegex(@"ConnectionStrings__(?<name>[a-z]+)\b")]
    private static partial Regex ConnectionStringRegex();

    [GeneratedRegex(@"services__(?<name>[a-z]+)__http__0")]
    private static partial Regex ServiceUrlRegex();

    [GeneratedRegex(@"""(?<path>[^""]+\.csproj)""")]
    private static partial Regex ProjectPathRegex();
}

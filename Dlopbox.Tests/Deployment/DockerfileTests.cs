using System.Text.RegularExpressions;
using System.Xml.Linq;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// The .NET services' Dockerfile (the repo root's; ComposeEndToEndTests and DockerCliTests build and run it), read as
/// text: one file, a target per service, multi-stage sdk → aspnet with both bases as build arguments whose defaults
/// are the official images, one build stage that publishes the three, a restore layer from the project files of every
/// project a service references (transitively), non-root, listening on every interface, with a health check;
/// nothing that needs BuildKit.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] ServiceNames = ["Watcher", "Interface", "Client"];

    public static TheoryData<string> Services() => [.. ServiceNames];

    [Fact]
    public void Builds_in_stages_from_the_two_bases()
    {
        var text = Read();
        var froms = FromRegex().Matches(text).Select(m => m.Groups["image"].Value).ToList();
        Assert.Equal(["${SDK_IMAGE}", "${RUNTIME_IMAGE}", "runtime", "runtime", "runtime"], froms);
        // A user with a registry gets the official images; deploy/images/build.sh's stand-ins come in as build args.
        var args = ArgDefaults(text);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}", args["SDK_IMAGE"]);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}", args["RUNTIME_IMAGE"]);
        Assert.Equal("10.0", args["DOTNET_VERSION"]);
        Assert.Matches(@"(?m)^HEALTHCHECK ", Stage(text, "runtime"));

        // Restore before the sources are copied: the restore layer is reused until a project file changes.
        var build = Stage(text, "build");
        var restore = build.IndexOf("RUN for service in Watcher Interface Client; do dotnet restore", StringComparison.Ordinal);
        var firstSourceCopy = SourceCopyRegex().Match(build).Index;
        Assert.True(restore > 0 && restore < firstSourceCopy, "dotnet restore must come before the sources are copied");
        Assert.Contains("dotnet publish \"Dlopbox.$service/Dlopbox.$service.csproj\"", build);
        Assert.Contains("-o \"/out/$service\"", build);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Each_service_is_a_target_that_runs_as_non_root(string service)
    {
        var stage = Stage(Read(), service.ToLowerInvariant());
        Assert.Matches(@"(?m)^USER \$APP_UID$", stage);
        Assert.Matches(@"(?m)^ENV Urls=http://0\.0\.0\.0:\d+", stage);
        Assert.Contains($"COPY --from=build /out/{service} /app", stage);
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"/app/Dlopbox.{service}.dll\"]", stage);
        Assert.False(File.Exists(Path.Combine(RepoLayout.Root, $"Dlopbox.{service}", "Dockerfile")), $"Dlopbox.{service}/Dockerfile is a copy of the root Dockerfile's target");
    }

    [Fact]
    public void Needs_no_BuildKit()
    {
        // The classic builder (DOCKER_BUILDKIT=0, all that dockerd 20.10 without buildx offers) builds them.
        foreach (var text in new[] { Read(), File.ReadAllText(Path.Combine(RepoLayout.Root, "nginx", "Dockerfile")) })
        {
            Assert.DoesNotMatch(@"(?m)^#\s*syntax=", text);
            Assert.DoesNotMatch(@"(?m)^(COPY|ADD)\s.*--chmod", text);
            Assert.DoesNotMatch(@"(?m)^RUN\s+--mount", text);
        }
    }

    [Fact]
    public void Nginx_image_takes_its_base_as_a_build_argument()
    {
        var text = File.ReadAllText(Path.Combine(RepoLayout.Root, "nginx", "Dockerfile"));
        Assert.Equal(["${NGINX_IMAGE}"], FromRegex().Matches(text).Select(m => m.Groups["image"].Value));
        Assert.Equal("nginx:1.28-alpine", ArgDefaults(text)["NGINX_IMAGE"]);
    }

    private static string Read() => File.ReadAllText(Path.Combine(RepoLayout.Root, "Dockerfile"));

    /// <summary>The text of the stage named <paramref name="name"/>, from its FROM to the next one.</summary>
    private static string Stage(string text, string name)
    {
        var froms = StageRegex().Matches(text).ToList();
        var index = froms.FindIndex(m => m.Groups["name"].Value == name);
        Assert.True(index >= 0, $"the Dockerfile has no stage {name}");
        return text[froms[index].Index..(index + 1 < froms.Count ? froms[index + 1].Index : text.Length)];
    }

    private static Dictionary<string, string> ArgDefaults(string text) =>
        ArgRegex().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);

    [Theory]
    [MemberData(nameof(Services))]
    public void Copies_every_referenced_project(string service)
    {
        var root = RepoLayout.Root;
        var text = Stage(Read(), "build");
        var copiedProjects = CsprojCopyRegex().Matches(text).Select(m => m.Groups["path"].Value).ToHashSet();
        var copiedDirs = DirCopyRegex().Matches(text).Select(m => m.Groups["dir"].Value).ToHashSet();

        foreach (var project in ProjectClosure(Path.Combine(root, $"Dlopbox.{service}", $"Dlopbox.{service}.csproj")))
        {
            var relative = Path.GetRelativePath(root, project);
            Assert.Contains(relative, copiedProjects);
            Assert.Contains(Path.GetDirectoryName(relative)!, copiedDirs);
        }
        // The .dockerignore keeps build output out of the context (UseArtifactsOutput puts it at the root).
        var ignore = File.ReadAllText(Path.Combine(root, ".dockerignore"));
        Assert.Contains("artifacts/", ignore);
        Assert.Contains("**/obj/", ignore);
        Assert.Contains(".env", ignore);
    }

    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
                continue;
            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
        }
        return seen;
    }

    [GeneratedRegex(@"(?m)^FROM (?<image>\S+)")]
    private static partial Regex FromRegex();

    [GeneratedRegex(@"(?m)^FROM \S+ AS (?<name>\S+)")]
    private static partial Regex StageRegex();

    [GeneratedRegex(@"(?m)^ARG (?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>\S+)")]
    private static partial Regex ArgRegex();

    [GeneratedRegex(@"(?m)^COPY (?<path>\S+\.csproj) ")]
    private static partial Regex CsprojCopyRegex();

    [GeneratedRegex(@"(?m)^COPY (?<dir>[\w.]+)/ ")]
    private static partial Regex DirCopyRegex();

    [GeneratedRegex(@"(?m)^COPY [\w.]+/ ")]
    private static partial Regex SourceCopyRegex();
}

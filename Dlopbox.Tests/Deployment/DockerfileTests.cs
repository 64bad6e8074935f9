using System.Text.RegularExpressions;
using System.Xml.Linq;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// The .NET Dockerfiles, read as text (ComposeEndToEndTests builds and runs them): multi-stage sdk → aspnet with
/// both bases as build arguments whose defaults are the official images, one build stage shared word for word by
/// the three, a restore layer from the project files of every project the service references (transitively),
/// non-root, listening on every interface, with a health check; nothing that needs BuildKit.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] ServiceNames = ["Watcher", "Interface", "Client"];

    public static TheoryData<string> Services() => [.. ServiceNames];

    [Theory]
    [MemberData(nameof(Services))]
    public void Builds_in_two_stages_and_runs_as_non_root(string service)
    {
        var text = Read(service);
        var froms = FromRegex().Matches(text).Select(m => m.Groups["image"].Value).ToList();
        Assert.Equal(["${SDK_IMAGE}", "${RUNTIME_IMAGE}"], froms);
        // A user with a registry gets the official images; deploy/images/build.sh's stand-ins come in as build args.
        var args = ArgDefaults(text);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}", args["SDK_IMAGE"]);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}", args["RUNTIME_IMAGE"]);
        Assert.Equal("10.0", args["DOTNET_VERSION"]);
        Assert.Matches(@"(?m)^USER \$APP_UID$", text);
        Assert.Matches(@"(?m)^ENV Urls=http://0\.0\.0\.0:\d+", text);
        Assert.Matches(@"(?m)^HEALTHCHECK ", text);
        Assert.Contains($"COPY --from=build /out/{service} /app", text);
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"/app/Dlopbox.{service}.dll\"]", text);

        // Restore before the sources are copied: the restore layer is reused until a project file changes.
        var restore = text.IndexOf("RUN for service in Watcher Interface Client; do dotnet restore", StringComparison.Ordinal);
        var firstSourceCopy = SourceCopyRegex().Match(text).Index;
        Assert.True(restore > 0 && restore < firstSourceCopy, "dotnet restore must come before the sources are copied");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Needs_no_BuildKit(string service)
    {
        // The classic builder (DOCKER_BUILDKIT=0, all that dockerd 20.10 without buildx offers) builds them.
        foreach (var text in new[] { Read(service), File.ReadAllText(Path.Combine(RepoLayout.Root, "nginx", "Dockerfile")) })
        {
            Assert.DoesNotMatch(@"(?m)^#\s*syntax=", text);
            Assert.DoesNotMatch(@"(?m)^(COPY|ADD)\s.*--chmod", text);
            Assert.DoesNotMatch(@"(?m)^RUN\s+--mount", text);
        }
    }

    [Fact]
    public void The_three_share_one_build_stage_that_publishes_every_service()
    {
        // Word for word: the classic builder's cache then builds it once for the three images.
        var stages = ServiceNames.Select(service => BuildStage(Read(service))).ToList();
        Assert.All(stages, stage => Assert.Equal(stages[0], stage));
        foreach (var service in ServiceNames)
            Assert.Contains($"Dlopbox.{service}/Dlopbox.{service}.csproj", stages[0]);
        Assert.Contains("dotnet publish \"Dlopbox.$service/Dlopbox.$service.csproj\"", stages[0]);
        Assert.Contains("-o \"/out/$service\"", stages[0]);
    }

    [Fact]
    public void Nginx_image_takes_its_base_as_a_build_argument()
    {
        var text = File.ReadAllText(Path.Combine(RepoLayout.Root, "nginx", "Dockerfile"));
        Assert.Equal(["${NGINX_IMAGE}"], FromRegex().Matches(text).Select(m => m.Groups["image"].Value));
        Assert.Equal("nginx:1.28-alpine", ArgDefaults(text)["NGINX_IMAGE"]);
    }

    private static string Read(string service) => File.ReadAllText(Path.Combine(RepoLayout.Root, $"Dlopbox.{service}", "Dockerfile"));

    private static string BuildStage(string text)
    {
        var start = text.IndexOf("# --- build stage begin", StringComparison.Ordinal);
        var end = text.IndexOf("# --- build stage end ---", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the build stage is marked with '# --- build stage begin' and '# --- build stage end ---'");
        return text[start..end];
    }

    private static Dictionary<string, string> ArgDefaults(string text) =>
        ArgRegex().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);

    [Theory]
    [MemberData(nameof(Services))]
    public void Copies_every_referenced_project(string service)
    {
        var root = RepoLayout.Root;
        var text = Read(service);
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

    [GeneratedRegex(@"(?m)^ARG (?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>\S+)")]
    private static partial Regex ArgRegex();

    [GeneratedRegex(@"(?m)^COPY (?<path>\S+\.csproj) ")]
    private static partial Regex CsprojCopyRegex();

    [GeneratedRegex(@"(?m)^COPY (?<dir>[\w.]+)/ ")]
    private static partial Regex DirCopyRegex();

    [GeneratedRegex(@"(?m)^COPY [\w.]+/ ")]
    private static partial Regex SourceCopyRegex();
}

using System.Text.RegularExpressions;
using System.Xml.Linq;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// The .NET Dockerfiles (no engine here to build them): multi-stage sdk → aspnet, restore layer from the
/// project files of every project the service references (transitively), non-root, listening on every
/// interface, with a health check.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Services() => ["Watcher", "Interface", "Client"];

    [Theory]
    [MemberData(nameof(Services))]
    public void Builds_in_two_stages_and_runs_as_non_root(string service)
    {
        var text = File.ReadAllText(Path.Combine(RepoLayout.Root, $"Dlopbox.{service}", "Dockerfile"));
        var froms = FromRegex().Matches(text).Select(m => m.Groups["image"].Value).ToList();
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk", "mcr.microsoft.com/dotnet/aspnet"], froms);
        Assert.Matches(@"(?m)^USER \$APP_UID$", text);
        Assert.Matches(@"(?m)^ENV Urls=http://0\.0\.0\.0:\d+", text);
        Assert.Matches(@"(?m)^HEALTHCHECK ", text);
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"/app/Dlopbox.{service}.dll\"]", text);

        // Restore before the sources are copied: the restore layer is reused until a project file changes.
        var restore = text.IndexOf("RUN dotnet restore", StringComparison.Ordinal);
        var firstSourceCopy = SourceCopyRegex().Match(text).Index;
        Assert.True(restore > 0 && restore < firstSourceCopy, "dotnet restore must come before the sources are copied");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Copies_every_referenced_project(string service)
    {
        var root = RepoLayout.Root;
        var text = File.ReadAllText(Path.Combine(root, $"Dlopbox.{service}", "Dockerfile"));
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

    [GeneratedRegex(@"(?m)^FROM (?<image>[^:\s]+):")]
    private static partial Regex FromRegex();

    [GeneratedRegex(@"(?m)^COPY (?<path>\S+\.csproj) ")]
    private static partial Regex CsprojCopyRegex();

    [GeneratedRegex(@"(?m)^COPY (?<dir>[\w.]+)/ ")]
    private static partial Regex DirCopyRegex();

    [GeneratedRegex(@"(?m)^COPY [\w.]+/ ")]
    private static partial Regex SourceCopyRegex();
}

using System.Reflection;

namespace Dlopbox.Embedded;

/// <summary>Where the repo's files and the built services are, seen from a running launcher or test.</summary>
public static class RepoLayout
{
    /// <summary>The repo root: the first ancestor of this assembly's dir that holds Dlopbox.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string NginxDir => Path.Combine(Root, "nginx");

    /// <summary>The built entry assembly of a service project, from the same configuration as this assembly.</summary>
    public static string ServiceAssembly(string project)
    {
        var configuration = typeof(RepoLayout).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(Root, "artifacts", "bin", project, configuration.ToLowerInvariant(), project + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{project} is not built ({path}); run `dotnet build` first.", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dlopbox.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Dlopbox.sln above {AppContext.BaseDirectory}.");
    }
}

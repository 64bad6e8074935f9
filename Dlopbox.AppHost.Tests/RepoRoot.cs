namespace Dlopbox.AppHost.Tests;

internal static class RepoRoot
{
    /// <summary>The repository's root: the dir above the AppHost's project dir.</summary>
    public static string Path { get; } = System.IO.Path.GetFullPath(System.IO.Path.Combine(Projects.Dlopbox_AppHost.ProjectPath, ".."));
}

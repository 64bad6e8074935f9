using Dlopbox.Embedded;

namespace Dlopbox.Tests.Deployment;

/// <summary>The local stand-in images of deploy/images/build.sh, built (or found current) once per test run.</summary>
internal static class LocalImages
{
    // build.sh caches by its inputs' hash, so this is quick when the images are current.
    private static readonly Lazy<string[]> Names = new(() =>
    {
        var result = Tool.Run(Path.Combine(RepoLayout.Root, "deploy", "images", "build.sh"), [], timeoutSeconds: 900);
        Assert.True(result.ExitCode == 0, $"deploy/images/build.sh failed:\n{result.Output}");
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    });

    /// <summary>The stand-in for <paramref name="repository"/> (e.g. <c>rabbitmq</c>, <c>dotnet-sdk</c>), with its tag.</summary>
    public static string Image(string repository) =>
        Names.Value.Single(name => name.StartsWith($"dlopbox-local/{repository}:", StringComparison.Ordinal));

    /// <summary>The README's settings for building and running on the stand-ins (compose and plain docker read the
    /// same names), with the images tagged <c>local</c> so they do not replace a user's dlopbox/*:dev.</summary>
    public static Dictionary<string, string> Settings() => new()
    {
        ["DLOPBOX_RABBITMQ_IMAGE"] = Image("rabbitmq"),
        ["DLOPBOX_NGINX_IMAGE"] = Image("nginx"),
        ["DLOPBOX_DOTNET_SDK_IMAGE"] = Image("dotnet-sdk"),
        ["DLOPBOX_DOTNET_RUNTIME_IMAGE"] = Image("dotnet-aspnet"),
        ["DLOPBOX_IMAGE_TAG"] = "local",
    };
}

namespace Dlopbox.AppHost;

internal static class ResourceExtensions
{
    /// <summary>
    /// The configured image, pulled only when missing: a locally built stand-in (no registry part) is used
    /// as it is. Call it after integration methods that check the image (RabbitMQ's WithManagementPlugin).
    /// </summary>
    public static IResourceBuilder<T> WithConfiguredImage<T>(this IResourceBuilder<T> container, ContainerImage image) where T : ContainerResource =>
        container
            .WithImage(image.Image, image.Tag)
            .WithImageRegistry(image.Registry)
            .WithImagePullPolicy(ImagePullPolicy.Missing);

    /// <summary>
    /// The service's own HTTP endpoint (its API, /health and /alive) on a fixed port, not proxied. The
    /// services' appsettings.json set <c>Urls</c> (127.0.0.1, for the embedded default), and <c>Urls</c>
    /// outranks the ASPNETCORE_URLS Aspire sets, so it is set here too: to the same address in run mode,
    /// to every interface inside a published container.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoint(this IResourceBuilder<ProjectResource> project, int port, bool publishing) =>
        project
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            .WithEnvironment("Urls", publishing ? $"http://0.0.0.0:{port}" : $"http://localhost:{port}")
            .WithHttpHealthCheck("/health");
}

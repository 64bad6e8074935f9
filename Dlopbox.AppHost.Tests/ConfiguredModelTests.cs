using Dlopbox.Contracts;

namespace Dlopbox.AppHost.Tests;

/// <summary>Images named by configuration replace the official ones, registry and tag included.</summary>
public sealed class LocalImagesModelTests(LocalImagesAppModel model) : IClassFixture<LocalImagesAppModel>
{
    [Theory]
    [InlineData("rabbit", null, "dlopbox-local/rabbitmq", "3.10-management")]
    [InlineData("nginx", null, "dlopbox-local/nginx", "1.22")]
    [InlineData("mongodb", "registry.example:5000", "mirror/mongo", "8.0.4")]
    public void The_configured_image_is_used_as_named_and_pulled_only_when_missing(string resource, string? registry, string image, string tag)
    {
        var annotation = AppModel.Image(model.Resource(resource));
        Assert.Equal((registry, image, tag), (annotation.Registry, annotation.Image, annotation.Tag));
        Assert.Equal(ImagePullPolicy.Missing, model.Resource(resource).Annotations.OfType<ContainerImagePullPolicyAnnotation>().Single().ImagePullPolicy);
    }

    [Fact]
    public void The_management_plugin_stays_on_a_stand_in_image()
    {
        // WithManagementPlugin ran before the image was replaced: its endpoint is there all the same.
        Assert.Contains(model.Resource("rabbit").Annotations.OfType<EndpointAnnotation>(), e => e is { Name: "management", TargetPort: 15672 });
    }
}

/// <summary>Dlopbox:EventLog=Sqlite leaves MongoDB out; the Interface then logs to SQLite in its data dir.</summary>
public sealed class SqliteModelTests(SqliteAppModel model) : IClassFixture<SqliteAppModel>
{
    [Fact]
    public void No_MongoDB_container_connection_or_parameter_is_in_the_model()
    {
        Assert.DoesNotContain(model.Names, n => n.Contains("mongo", StringComparison.Ordinal));
        Assert.Contains(WireNames.RabbitConnection, model.Names);
        Assert.Contains(WireNames.InterfaceService, model.Names);
    }

    [Fact]
    public async Task The_Interface_gets_no_mongo_connection_string_and_keeps_its_data_dir()
    {
        var env = await model.EnvironmentAsync("interface");
        // EventLogServiceExtensions: no ConnectionStrings:mongo means SqliteEventLogStore in Interface:DataDir.
        Assert.False(env.ContainsKey("ConnectionStrings__" + WireNames.MongoConnection));
        Assert.Equal(Path.Combine(model.DataDir, "state", "interface"), env["Interface__DataDir"]);
        Assert.Equal(["rabbit"], model.Resource("interface").Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Distinct());
    }
}

public sealed class ContainerImageTests
{
    [Theory]
    [InlineData("docker.io/library/rabbitmq:4.3-management", "docker.io", "library/rabbitmq", "4.3-management")]
    [InlineData("dlopbox-local/nginx:1.22", null, "dlopbox-local/nginx", "1.22")]
    [InlineData("localhost/dlopbox/nginx:dev", "localhost", "dlopbox/nginx", "dev")]
    [InlineData("localhost:5000/mongo:8.0", "localhost:5000", "mongo", "8.0")]
    [InlineData("registry.example:5000/mirror/mongo", "registry.example:5000", "mirror/mongo", "latest")]
    [InlineData("mongo", null, "mongo", "latest")]
    public void A_reference_splits_the_way_docker_reads_it(string reference, string? registry, string image, string tag)
    {
        var parsed = ContainerImage.Parse(reference);
        Assert.Equal(new ContainerImage(registry, image, tag), parsed);
        Assert.Equal(parsed, ContainerImage.Parse(parsed.ToString()));
    }

    [Theory]
    [InlineData("nginx:")]
    [InlineData(":1.22")]
    [InlineData("nginx@sha256:0123")]
    public void A_malformed_reference_is_refused(string reference) =>
        Assert.Throws<FormatException>(() => ContainerImage.Parse(reference));

    [Fact]
    public void A_missing_image_setting_names_the_key_to_set()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ImageSettings.Require(" ", nameof(ImageSettings.Nginx)));
        Assert.Contains("Dlopbox:Images:Nginx", e.Message);
    }
}

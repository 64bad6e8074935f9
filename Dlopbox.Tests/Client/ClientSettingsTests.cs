using Dlopbox.Client;
using Dlopbox.Client.Cli;
using Microsoft.Extensions.Configuration;

namespace Dlopbox.Tests.Client;

public sealed class ClientSettingsTests
{
    private static readonly Dictionary<string, string?> FromEnvironment = new()
    {
        ["ConnectionStrings:rabbit"] = "amqp://env:env@broker:5672/",
        ["services:interface:http:0"] = "http://env-interface:5000",
        ["services:nginx:http:0"] = "http://env-nginx:8080",
        ["Client:ReplicaDir"] = "/env/replica",
        ["Client:StateDir"] = "/env/state",
        ["Client:Name"] = "env-name",
        ["Urls"] = "http://127.0.0.1:5002",
    };

    [Fact]
    public void Each_option_maps_onto_the_key_the_environment_sets()
    {
        var values = ClientSettings.ToConfiguration(new ClientArguments
        {
            Rabbit = "amqp://u:p@127.0.0.1:5672/",
            Interface = "http://127.0.0.1:5000/",
            Files = "http://127.0.0.1:8080/files/",
            Replica = "/srv/replica",
            State = "/srv/state",
            Name = "laptop",
            Token = "report-token-0123456789",
            Urls = "http://127.0.0.1:0",
        });

        Assert.Equal(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbit"] = "amqp://u:p@127.0.0.1:5672/",
            ["services:interface:http:0"] = "http://127.0.0.1:5000",
            ["services:nginx:http:0"] = "http://127.0.0.1:8080",
            ["Client:ReplicaDir"] = "/srv/replica",
            ["Client:StateDir"] = "/srv/state",
            ["Client:Name"] = "laptop",
            ["Client:Token"] = "report-token-0123456789",
            ["urls"] = "http://127.0.0.1:0",
        }, values);
        Assert.Equal("ConnectionStrings__rabbit", ClientSettings.EnvironmentName(ClientSettings.RabbitKey));
        Assert.Equal("services__nginx__http__0", ClientSettings.EnvironmentName(ClientSettings.FilesKey));
        Assert.Equal("Client__Token", ClientSettings.EnvironmentName(ClientSettings.TokenKey));
    }

    [Fact]
    public void Options_win_over_the_environment_and_leave_the_rest_of_it()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(FromEnvironment);

        ClientSettings.Apply(configuration, ClientSettings.ToConfiguration(new ClientArguments { Replica = "/cli/replica", Name = "cli-name", Urls = "http://127.0.0.1:0" }));

        Assert.Equal("/cli/replica", configuration["Client:ReplicaDir"]);
        Assert.Equal("cli-name", configuration["Client:Name"]);
        Assert.Equal("http://127.0.0.1:0", configuration["urls"]);
        Assert.Equal("/env/state", configuration["Client:StateDir"]);
        Assert.Equal("amqp://env:env@broker:5672/", configuration["ConnectionStrings:rabbit"]);
        Assert.Equal("http://env-nginx:8080", configuration["services:nginx:http:0"]);
        var options = configuration.GetSection(ClientOptions.Section).Get<ClientOptions>()!;
        Assert.Equal(("/cli/replica", "/env/state", "cli-name"), (options.ReplicaDir, options.StateDir, options.Name));
    }

    [Fact]
    public void Without_a_state_dir_anywhere_it_goes_under_XDG_state_home_by_name()
    {
        var configuration = new ConfigurationManager();
        var environment = new Dictionary<string, string?> { ["XDG_STATE_HOME"] = "/home/u/.state", ["HOME"] = "/home/u" };

        ClientSettings.Apply(configuration, ClientSettings.ToConfiguration(new ClientArguments { Name = "laptop" }), name => environment.GetValueOrDefault(name));

        Assert.Equal("/home/u/.state/dlopbox/laptop", configuration["Client:StateDir"]);
        Assert.Equal("/home/u/.local/state/dlopbox/b", ClientSettings.DefaultStateDir("b", name => name == "HOME" ? "/home/u" : null));
        Assert.Equal("/home/u/.local/state/dlopbox/b", ClientSettings.DefaultStateDir("b", name => name == "HOME" ? "/home/u" : "relative/ignored"));
        Assert.Null(ClientSettings.DefaultStateDir("b", _ => null));
        // A name that is no valid name never becomes a path.
        Assert.Equal("/x/dlopbox/client", ClientSettings.DefaultStateDir("../../etc", name => name == "XDG_STATE_HOME" ? "/x" : null));
    }

    [Fact]
    public void Check_names_every_problem_with_its_option_and_variable()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:interface:http:0"] = "ftp://x",
            ["Client:Name"] = "a/b",
            ["Client:ReportInterval"] = "00:00:00.010",
        });

        var problems = ClientSettings.Check(configuration);

        Assert.Equal(
        [
            "--rabbit (ConnectionStrings__rabbit) is required: the broker's amqp://user:password@host:5672/ URI.",
            "--interface (services__interface__http__0) must be an http:// or https:// URL: 'ftp://x'.",
            "--files (services__nginx__http__0) is required: nginx's URL, e.g. http://127.0.0.1:8080.",
            "--replica (Client__ReplicaDir) is required: the dir to keep equal to the master.",
            "--state (Client__StateDir) is required: where the applied offset is kept.",
            "--name (Client__Name) must be 1 to 64 letters, digits, '.', '_' or '-' (it is part of a URL): 'a/b'.",
            "Client:ReportInterval must be between 0.1 s and 1 h (e.g. 00:00:02).",
        ], problems);
    }

    [Fact]
    public void Check_passes_a_complete_configuration_and_names_a_value_it_cannot_read()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(FromEnvironment);
        Assert.Empty(ClientSettings.Check(configuration));

        configuration.AddInMemoryCollection([new("Client:ReportInterval", "fast")]);
        var problem = Assert.Single(ClientSettings.Check(configuration));
        Assert.Contains("Client:ReportInterval", problem);
    }

    [Theory]
    [InlineData("http://h:8080/files/", "http://h:8080")]
    [InlineData("http://h:8080/files", "http://h:8080")]
    [InlineData("http://h:8080/", "http://h:8080")]
    [InlineData("http://h:8080/other/files", "http://h:8080/other/files")]
    public void Files_url_is_nginx_base_url(string given, string expected) =>
        Assert.Equal(expected, ClientSettings.FilesBaseUrl(given));
}

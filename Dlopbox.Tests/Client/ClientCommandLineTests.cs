using Dlopbox.Client.Cli;
using Dlopbox.Embedded;
using Dlopbox.Tests.Deployment;

namespace Dlopbox.Tests.Client;

public sealed class ClientCommandLineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<(int ExitCode, string Output, string Error)> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await ClientCommandLine.InvokeAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Help_explains_every_option_with_its_environment_variable_and_gives_an_example()
    {
        var (exitCode, output, _) = await InvokeAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("dlopbox-client [command] [options]", output);
        foreach (var (option, variable) in new[]
        {
            ("--rabbit <URI>", "ConnectionStrings__rabbit"),
            ("--interface <URL>", "services__interface__http__0"),
            ("--files <URL>", "services__nginx__http__0"),
            ("--replica <DIR>", "Client__ReplicaDir"),
            ("--state <DIR>", "Client__StateDir"),
            ("--name <NAME>", "Client__Name"),
            ("--token <TOKEN>", "Client__Token"),
            ("--urls <URLS>", "[env: Urls]"),
        })
        {
            Assert.Contains(option, output);
            Assert.Contains(variable, output);
        }
        Assert.Contains("$XDG_STATE_HOME/dlopbox/NAME", output);
        Assert.Contains("Examples:", output);
        Assert.Contains("dlopbox-client --rabbit amqp://", output);
        Assert.Contains("status", output);
    }

    [Fact]
    public async Task Status_help_explains_its_options()
    {
        var (exitCode, output, _) = await InvokeAsync("status", "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("dlopbox-client status [options]", output);
        Assert.Contains("--state <DIR>", output);
        Assert.Contains("--interface <URL>", output);
        Assert.Contains("--name <NAME>", output);
        Assert.Contains("dlopbox-client status --name laptop", output);
        Assert.DoesNotContain("--rabbit", output);
    }

    [Fact]
    public async Task Bad_usage_is_one_line_per_problem_and_exit_code_2()
    {
        var (exitCode, output, error) = await InvokeAsync("--bogus", "--interface", "not-a-url", "--files", "http://127.0.0.1:8080/elsewhere", "--name", "no spaces");

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "dlopbox-client: Unrecognized command or argument '--bogus'.",
            "dlopbox-client: --interface must be an http:// or https:// URL: 'not-a-url'.",
            "dlopbox-client: --files must be the server's base URL, without a path: 'http://127.0.0.1:8080/elsewhere'.",
            "dlopbox-client: --name must be 1 to 64 letters, digits, '.', '_' or '-' (it is part of a URL): 'no spaces'.",
            "Run 'dlopbox-client --help' for the options.",
        ], lines);
    }

    [Fact]
    public async Task Settings_that_do_not_allow_a_start_are_listed_before_anything_starts()
    {
        // Everything but the broker, and a state dir inside the replica: nothing may start, and both are said.
        var (exitCode, _, error) = await InvokeAsync("--rabbit", "http://not-amqp", "--interface", "http://127.0.0.1:1", "--files", "http://127.0.0.1:1/files/",
            "--replica", _dir.Replica, "--state", Path.Combine(_dir.Replica, "state"), "--name", "t1");

        Assert.Equal(2, exitCode);
        Assert.Contains("dlopbox-client: --rabbit (ConnectionStrings__rabbit) must be an amqp:// or amqps:// URI.", error);
        Assert.Contains("dlopbox-client: --state (Client__StateDir) must lie outside the replica dir", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(Path.Combine(_dir.Replica, "state")));
    }

    [Fact]
    public void Configuration_style_arguments_pass_to_the_host_untouched()
    {
        var (options, config) = ClientCommandLine.SplitConfigArguments(
            ["--replica", "/r", "--Client:Prefetch=5", "--name", "a", "--Logging:LogLevel:Default", "Debug", "--urls", "http://127.0.0.1:0"]);

        Assert.Equal(["--replica", "/r", "--name", "a", "--urls", "http://127.0.0.1:0"], options);
        Assert.Equal(["--Client:Prefetch=5", "--Logging:LogLevel:Default", "Debug"], config);
    }

    /// <summary>
    /// The real client process, configured the embedded runner's way (environment variables) with command-line options
    /// on top: the options win (the environment's bad name and state dir are not reported), the rest of the
    /// environment still counts (only the missing broker is).
    /// </summary>
    [Fact]
    public void The_command_line_wins_over_the_environment_in_the_real_process()
    {
        var result = Tool.Run("dotnet", [RepoLayout.ServiceAssembly("Dlopbox.Client"), "--name", "from-cli", "--state", _dir.State, "--urls", "http://127.0.0.1:0"],
            environment: new Dictionary<string, string>
            {
                ["ConnectionStrings__rabbit"] = "",
                ["services__interface__http__0"] = "http://127.0.0.1:1",
                ["services__nginx__http__0"] = "http://127.0.0.1:1",
                ["Client__ReplicaDir"] = _dir.Replica,
                ["Client__StateDir"] = Path.Combine(_dir.Replica, "inside"),
                ["Client__Name"] = "not a valid name",
            }, workingDirectory: _dir.Root, timeoutSeconds: 60);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
        [
            "dlopbox-client: --rabbit (ConnectionStrings__rabbit) is required: the broker's amqp://user:password@host:5672/ URI.",
            "Run 'dlopbox-client --help' for the options.",
        ], result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Without_arguments_the_environment_alone_configures_the_real_process()
    {
        var result = Tool.Run("dotnet", [RepoLayout.ServiceAssembly("Dlopbox.Client")],
            environment: new Dictionary<string, string>
            {
                ["ConnectionStrings__rabbit"] = "amqp://u:p@127.0.0.1:1/",
                ["services__interface__http__0"] = "http://127.0.0.1:1",
                ["services__nginx__http__0"] = "",
                ["Client__ReplicaDir"] = _dir.Replica,
                ["Client__StateDir"] = _dir.State,
                ["Client__Name"] = "env-only",
            }, workingDirectory: _dir.Root, timeoutSeconds: 60);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
        [
            "dlopbox-client: --files (services__nginx__http__0) is required: nginx's URL, e.g. http://127.0.0.1:8080.",
            "Run 'dlopbox-client --help' for the options.",
        ], result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

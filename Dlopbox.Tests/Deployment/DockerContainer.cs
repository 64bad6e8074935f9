using Xunit.Abstractions;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// A container a test runs with <c>docker run -d</c> under a unique name, removed with its anonymous volumes on
/// dispose, whether or not the test passed.
/// </summary>
internal sealed class DockerContainer : IDisposable
{
    private DockerContainer(string name) => Name = name;

    public string Name { get; }

    /// <summary>Starts <paramref name="image"/>; <paramref name="options"/> go before the image, <paramref name="args"/> after it.</summary>
    public static DockerContainer Run(string purpose, IEnumerable<string> options, string image, IEnumerable<string> args)
    {
        var container = new DockerContainer($"dlopbox-test-{purpose}-{Guid.NewGuid():N}"[..40]);
        var result = Tool.Run("docker", ["run", "-d", "--name", container.Name, .. options, image, .. args]);
        if (result.ExitCode != 0)
        {
            container.Dispose();
            Assert.Fail($"docker run {image} failed:\n{result.Output}");
        }
        return container;
    }

    /// <summary>The 127.0.0.1 port docker published for <paramref name="containerPort"/>/tcp.</summary>
    public int HostPort(int containerPort)
    {
        var result = Tool.Run("docker", ["port", Name, $"{containerPort}/tcp"]);
        Assert.True(result.ExitCode == 0, $"docker port {Name} {containerPort}: {result.Output}");
        var line = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim();
        Assert.StartsWith("127.0.0.1:", line);
        return int.Parse(line["127.0.0.1:".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public string Logs() => Tool.Run("docker", ["logs", "--tail", "60", Name]).Output;

    /// <summary>For a failed test: each container's state and health, and the end of its log.</summary>
    public static void WriteDiagnostics(ITestOutputHelper output, IEnumerable<string> containers)
    {
        foreach (var container in containers)
        {
            var state = Tool.Run("docker", ["inspect", "-f", "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", container]).Stdout.Trim();
            output.WriteLine($"--- {state}");
            output.WriteLine(ComposeProject.Tail(Tool.Run("docker", ["logs", "--tail", "40", container]).Output, 40));
        }
    }

    public void Dispose() => Tool.Run("docker", ["rm", "-f", "-v", Name]);
}

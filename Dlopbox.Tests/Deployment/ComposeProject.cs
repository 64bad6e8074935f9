using System.Globalization;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// A compose project a test brings up: its own unique project name (so only the containers, networks and volumes it
/// creates carry its label), its own env file (so a user's .env is not read), and `down -v` on dispose, whether or
/// not the test passed, with a label-based sweep behind it should compose itself fail.
/// </summary>
internal sealed class ComposeProject : IDisposable
{
    private const string ProjectLabel = "com.docker.compose.project";
    private readonly (string Command, string[] Prefix) _compose;
    private readonly string[] _fileArgs;
    private readonly Dictionary<string, string> _environment;
    private readonly EnvFile _envFile;
    private readonly ITestOutputHelper _output;
    private bool _down;

    public ComposeProject(ITestOutputHelper output, IReadOnlyList<string> files, IReadOnlyDictionary<string, string> environment)
    {
        _output = output;
        _compose = ComposeFile.Command();
        // Lower-case letters and digits only: compose v1 strips anything else from a project name.
        Name = "dlopboxtest" + Guid.NewGuid().ToString("N")[..10];
        _fileArgs = [.. files.SelectMany(f => new[] { "-f", f })];
        _environment = new Dictionary<string, string>(environment);
        _envFile = new EnvFile(_environment);
    }

    public string Name { get; }

    /// <summary>compose with this project's name, env file and files; the variables are also in its environment,
    /// where compose reads them first (so none of the caller's own environment leaks into the interpolation).</summary>
    public Tool.Result Run(IEnumerable<string> args, int timeoutSeconds = 300) =>
        Tool.Run(_compose.Command, [.. _compose.Prefix, "--project-name", Name, "--env-file", _envFile.Path, .. _fileArgs, .. args],
            environment: _environment, timeoutSeconds: timeoutSeconds);

    /// <summary>Runs compose and fails the test, with compose's output, unless it exits 0.</summary>
    public Tool.Result Check(IEnumerable<string> args, int timeoutSeconds = 300)
    {
        var list = args.ToList();
        var result = Run(list, timeoutSeconds);
        Assert.True(result.ExitCode == 0, $"compose {string.Join(' ', list)} failed ({result.ExitCode}):\n{Tail(result.Output, 60)}");
        return result;
    }

    /// <summary>The ids of this project's containers (of one service, when given), running or not, in a fixed order.</summary>
    public List<string> Containers(string? service = null)
    {
        List<string> args = ["ps", "-a", "-q", "--no-trunc", "--filter", $"label={ProjectLabel}={Name}"];
        if (service is not null)
            args.AddRange(["--filter", $"label=com.docker.compose.service={service}"]);
        var result = Tool.Run("docker", args);
        Assert.True(result.ExitCode == 0, $"docker ps: {result.Output}");
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)];
    }

    /// <summary>The named and anonymous volumes mounted in this project's containers.</summary>
    public List<string> Volumes() =>
        [.. Containers().SelectMany(id => Tool.Run("docker", ["inspect", "-f", "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}", id])
            .Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()];

    /// <summary>This project's networks.</summary>
    public List<string> Networks() =>
        [.. Tool.Run("docker", ["network", "ls", "-q", "--filter", $"label={ProjectLabel}={Name}"]).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>`docker exec` in a container of this project; fails the test unless the command exits 0.</summary>
    public static string Exec(string container, params string[] command)
    {
        var result = Tool.Run("docker", ["exec", container, .. command], timeoutSeconds: 120);
        Assert.True(result.ExitCode == 0, $"docker exec {container[..12]} {string.Join(' ', command)} failed ({result.ExitCode}): {result.Output}");
        return result.Stdout;
    }

    /// <summary>Each container's state and health and the end of every service's log, for a failed test.</summary>
    public void WriteDiagnostics() => DockerContainer.WriteDiagnostics(_output, Containers());

    /// <summary>`down -v`: removes the containers, the network and every volume (named and anonymous) of the project.</summary>
    public Tool.Result Down()
    {
        _down = true;
        return Run(["down", "-v", "--remove-orphans", "--timeout", "10"], timeoutSeconds: 300);
    }

    public void Dispose()
    {
        try
        {
            if (!_down)
            {
                var down = Down();
                if (down.ExitCode != 0)
                    _output.WriteLine($"compose down failed ({down.ExitCode}): {Tail(down.Output, 20)}");
            }
            // Whatever compose left (it failed, or was killed by a timeout), by this project's label.
            var volumes = Volumes();
            foreach (var id in Containers())
                Tool.Run("docker", ["rm", "-f", "-v", id]);
            foreach (var network in Networks())
                Tool.Run("docker", ["network", "rm", network]);
            foreach (var volume in volumes.Concat(Tool.Run("docker", ["volume", "ls", "-q", "--filter", $"label={ProjectLabel}={Name}"]).Stdout
                         .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct())
                Tool.Run("docker", ["volume", "rm", volume]);
        }
        finally
        {
            _envFile.Dispose();
        }
    }

    public static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}

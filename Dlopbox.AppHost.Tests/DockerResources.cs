using System.Diagnostics;
using System.Text.Json;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// The Docker containers, networks and volumes of one AppHost run, found by the run's own DataDir (every
/// container of the model bind-mounts something under it) and removed at the end. DCP removes its
/// containers and network when the app stops; this is the net for a run that ends badly (a test that
/// throws, a killed AppHost), and it touches nothing of other runs on the same engine.
/// </summary>
public sealed class DockerResources(string dataDir)
{
    private readonly HashSet<string> _containers = [];
    private readonly HashSet<string> _networks = [];
    private readonly HashSet<string> _volumes = [];

    /// <summary>Notes the run's containers and their networks and volumes; call while the model runs.</summary>
    public void Record()
    {
        string[] ids = [.. Docker("ps", "-aq", "--no-trunc").Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        if (ids.Length == 0)
            return;
        using var inspected = JsonDocument.Parse(Docker(["inspect", .. ids]));
        foreach (var container in inspected.RootElement.EnumerateArray())
        {
            var mounts = container.GetProperty("Mounts").EnumerateArray().ToList();
            if (!mounts.Any(m => m.GetProperty("Type").GetString() == "bind" && m.GetProperty("Source").GetString()!.StartsWith(dataDir, StringComparison.Ordinal)))
                continue;
            _containers.Add(container.GetProperty("Id").GetString()!);
            foreach (var m in mounts.Where(m => m.GetProperty("Type").GetString() == "volume"))
                _volumes.Add(m.GetProperty("Name").GetString()!);
            foreach (var network in container.GetProperty("NetworkSettings").GetProperty("Networks").EnumerateObject())
            {
                if (network.Name is not ("bridge" or "host" or "none"))
                    _networks.Add(network.Name);
            }
        }
    }

    public IReadOnlyCollection<string> Containers => _containers;

    public IReadOnlyCollection<string> Volumes => _volumes;

    /// <summary>Removes what is left of the run (after a grace period for DCP's own cleanup); returns what had to be removed.</summary>
    public async Task<IReadOnlyList<string>> RemoveLeftoversAsync()
    {
        try
        {
            Record();
        }
        catch (InvalidOperationException)
        {
            // The engine did not answer: remove what was recorded earlier.
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<string> left;
        while ((left = Existing()).Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(500);
        foreach (var id in _containers)
            TryDocker("rm", "-f", "-v", id);
        foreach (var volume in _volumes)
            TryDocker("volume", "rm", "-f", volume);
        foreach (var network in _networks)
            TryDocker("network", "rm", network);
        return left;
    }

    private List<string> Existing() =>
        [
            .. _containers.Where(c => TryDocker("container", "inspect", c)).Select(c => "container " + c[..12]),
            .. _volumes.Where(v => TryDocker("volume", "inspect", v)).Select(v => "volume " + v),
            .. _networks.Where(n => TryDocker("network", "inspect", n)).Select(n => "network " + n),
        ];

    private static bool TryDocker(params string[] args)
    {
        try
        {
            Run(args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static string Docker(params string[] args) => Run(args);

    private static string Run(string[] args)
    {
        using var docker = Process.Start(new ProcessStartInfo("docker", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = docker.StandardOutput.ReadToEndAsync();
        var stderr = docker.StandardError.ReadToEndAsync();
        if (!docker.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            docker.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"docker {string.Join(' ', args)} did not finish within 60 s");
        }
        if (docker.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed: {stderr.Result.Trim()}");
        return stdout.Result;
    }
}

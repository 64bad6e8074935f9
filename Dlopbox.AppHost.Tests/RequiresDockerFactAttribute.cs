using System.Diagnostics;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// A fact that is skipped, with the reason printed by the runner, where no Docker engine answers:
/// the AppHost starts RabbitMQ, MongoDB and nginx as containers. (xunit 2 has no dynamic skip; a
/// Skip set in the attribute's constructor is the supported way.)
/// </summary>
public sealed class RequiresDockerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> UnavailableReason = new(ProbeDocker);

    public RequiresDockerFactAttribute()
    {
        if (UnavailableReason.Value is { } reason)
            Skip = reason;
    }

    private static string? ProbeDocker()
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            if (!docker.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                docker.Kill(entireProcessTree: true);
                return "Docker is not available: `docker info` did not answer within 20 s.";
            }
            return docker.ExitCode == 0
                ? null
                : $"Docker is not available: `docker info` failed ({docker.StandardError.ReadToEnd().Trim()}).";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"Docker is not available: the docker CLI could not be started ({e.Message}).";
        }
    }
}

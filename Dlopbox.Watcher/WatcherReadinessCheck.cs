using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dlopbox.Watcher;

/// <summary>
/// <c>/health</c> is 503 until the master dir is watched and the startup scan's changes are accepted by the
/// Interface; afterwards it is 200, Degraded while the Interface is unreachable or inotify ran out of watches.
/// </summary>
internal sealed class WatcherReadinessCheck(WatcherState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = (state.IsWatching, state.IsReady) switch
        {
            (false, _) => HealthCheckResult.Unhealthy("Setting up watches on the master dir."),
            (true, false) => HealthCheckResult.Unhealthy("Sending the startup scan's changes to the Interface."),
            _ when state.InterfaceUnavailableSince is { } since =>
                HealthCheckResult.Degraded($"The Interface has not accepted events since {since:O}; they are kept and retried."),
            _ when state.WatchLimitReached =>
                HealthCheckResult.Degraded("inotify watch limit reached: changes are found by periodic rescans (raise fs.inotify.max_user_watches)."),
            _ => HealthCheckResult.Healthy("Watching."),
        };
        return Task.FromResult(result);
    }
}

using Dlopbox.Client.Health;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dlopbox.Tests.Client;

public sealed class ReplicaReadinessCheckTests
{
    [Theory]
    [InlineData(ClientPhase.Starting, HealthStatus.Unhealthy, "not subscribed")]
    [InlineData(ClientPhase.Reconciling, HealthStatus.Unhealthy, "Reconciling")]
    [InlineData(ClientPhase.Following, HealthStatus.Healthy, "applied up to offset 41")]
    [InlineData(ClientPhase.Disconnected, HealthStatus.Unhealthy, "Not subscribed")]
    public async Task Ready_only_while_following_the_phase_the_reports_show(ClientPhase phase, HealthStatus expected, string description)
    {
        var progress = new SyncProgress(TimeProvider.System);
        var offsets = new AppliedOffsetTracker();
        offsets.Reset(41);
        progress.SetPhase(phase);

        var result = await new ReplicaReadinessCheck(progress, offsets).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(expected, result.Status);
        Assert.Contains(description, result.Description);
    }
}

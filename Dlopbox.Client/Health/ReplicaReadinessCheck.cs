using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dlopbox.Client.Health;

/// <summary>
/// Ready (so <c>/health</c> answers 200) while the client follows the stream: the replica was reconciled, or
/// resumed from a saved offset, and the consumer is subscribed. Not ready while starting, reconciling or
/// away from the broker. The phase is the one the progress reports show, so the two never disagree.
/// </summary>
internal sealed class ReplicaReadinessCheck(SyncProgress progress, AppliedOffsetTracker offsets) : IHealthCheck
{
    public const string Name = "replica";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(progress.Phase switch
        {
            ClientPhase.Following => HealthCheckResult.Healthy($"Following the stream; applied up to offset {offsets.Watermark}"),
            ClientPhase.Reconciling => HealthCheckResult.Unhealthy("Reconciling the replica from a snapshot"),
            ClientPhase.Starting => HealthCheckResult.Unhealthy("Starting: not subscribed to the event stream yet"),
            _ => HealthCheckResult.Unhealthy("Not subscribed to the event stream"),
        });
}

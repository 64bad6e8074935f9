using Dlopbox.Client.State;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dlopbox.Client.Health;

/// <summary>
/// Ready (so <c>/health</c> answers 200) once the replica has been reconciled, or resumed from a saved
/// offset, and the stream consumer is subscribed. Not ready while resyncing or while the broker is away.
/// </summary>
internal sealed class ReplicaReadinessCheck(ReplicaState state, AppliedOffsetTracker offsets) : IHealthCheck
{
    public const string Name = "replica";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state switch
        {
            { IsReady: true } => HealthCheckResult.Healthy($"Following the stream; applied up to offset {offsets.Watermark}"),
            { IsReconciled: false } => HealthCheckResult.Unhealthy("Reconciling the replica from a snapshot"),
            _ => HealthCheckResult.Unhealthy("Not subscribed to the event stream"),
        });
}

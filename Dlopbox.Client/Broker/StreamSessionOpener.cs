using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Dlopbox.EventBus;
using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Options;
using RabbitMQ.Client.Exceptions;

namespace Dlopbox.Client.Broker;

/// <summary>
/// Starts a stream session: probes which stream the broker holds, decides where to follow it from
/// (<see cref="StreamResumePlan"/>) and subscribes there, retrying both with capped exponential backoff.
/// An outage is logged once when it starts (here, or by the session that lost the stream) and once when it ends.
/// </summary>
internal sealed partial class StreamSessionOpener(
    StreamHeadProbe probe,
    StreamConsumer consumer,
    SyncProgress progress,
    IOptions<ClientOptions> options,
    TimeProvider time,
    ILogger<StreamSessionOpener> logger)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly OutageLog _outage = new(time);

    /// <summary>The session that was following the stream lost it (and said so): the outage starts now.</summary>
    public void StreamLost() => _outage.StartedElsewhere();

    /// <summary>Probes and subscribes until both work. Nothing may be in flight: <paramref name="watermark"/> is all that is applied.</summary>
    public async Task<(StreamSubscription Subscription, StreamResumePlan Plan)> OpenAsync(string? savedEpoch, long watermark,
        CancellationToken stoppingToken)
    {
        var backoff = new Backoff(FirstRetryDelay, MaxRetryDelay, time);
        while (true)
        {
            try
            {
                var head = await probe.ReadAsync(stoppingToken);
                var plan = StreamResumePlan.Decide(savedEpoch, watermark, head);
                var subscription = await consumer.SubscribeAsync(plan.From, stoppingToken);
                if (_outage.Succeeded() is { } ended)
                    LogStreamRestored(logger, ended.Duration.TotalSeconds);
                return (subscription, plan);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                var reason = ex is OperationInterruptedException { ShutdownReason.ReplyCode: 404 }
                    ? $"stream '{options.Value.StreamName}' does not exist yet"
                    : ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
                if (_outage.Failed())
                {
                    LogStreamUnavailable(logger, reason);
                    progress.SetPhase(ClientPhase.Disconnected);
                    progress.RecordError($"event stream unavailable: {reason}");
                }
                else
                {
                    LogStillUnavailable(logger, reason);
                }
            }
            await backoff.WaitAsync(stoppingToken);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Event stream unavailable: {Reason}; retrying")]
    private static partial void LogStreamUnavailable(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Debug, "Event stream still unavailable: {Reason}")]
    private static partial void LogStillUnavailable(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Event stream available again after {Seconds:0.0} s")]
    private static partial void LogStreamRestored(ILogger logger, double seconds);
}

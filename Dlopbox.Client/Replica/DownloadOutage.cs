using Dlopbox.Client.State;
using Dlopbox.ServiceDefaults.Retry;

namespace Dlopbox.Client.Replica;

/// <summary>
/// While the file server is away every parallel download fails and retries: one warning when the first
/// fails, one line when one works again, not one per file and attempt. Thread-safe, as <see cref="OutageLog"/> is.
/// </summary>
internal sealed partial class DownloadOutage(ILogger logger, SyncProgress progress, TimeSpan maxRetryDelay, TimeProvider time)
{
    private readonly OutageLog _outage = new(time);

    public void Begin(string reason)
    {
        if (!_outage.Failed())
            return;
        LogDownloadsFailing(logger, reason, maxRetryDelay.TotalSeconds);
        progress.RecordError($"downloads are failing: {reason}");
    }

    public void End()
    {
        if (_outage.Succeeded() is { } ended)
            LogDownloadsWorkAgain(logger, ended.Duration.TotalSeconds);
    }

    [LoggerMessage(LogLevel.Warning, "Downloads are failing ({Reason}); retrying each with backoff (at most {MaxDelaySeconds} s apart) until they work")]
    private static partial void LogDownloadsFailing(ILogger logger, string reason, double maxDelaySeconds);

    [LoggerMessage(LogLevel.Information, "Downloads work again after {Seconds:0.0} s")]
    private static partial void LogDownloadsWorkAgain(ILogger logger, double seconds);
}

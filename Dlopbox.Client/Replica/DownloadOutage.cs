using System.Diagnostics;
using Dlopbox.Client.State;

namespace Dlopbox.Client.Replica;

/// <summary>
/// While the file server is away every parallel download fails and retries: one warning when the first
/// fails, one line when one works again, not one per file and attempt. Thread-safe.
/// </summary>
internal sealed partial class DownloadOutage(ILogger logger, SyncProgress? progress, TimeSpan maxRetryDelay)
{
    private readonly Lock _lock = new();
    private long _start;

    public void Begin(string reason)
    {
        lock (_lock)
        {
            if (_start != 0)
                return;
            _start = Stopwatch.GetTimestamp();
        }
        Log.DownloadsFailing(logger, reason, maxRetryDelay.TotalSeconds);
        progress?.RecordError($"downloads are failing: {reason}");
    }

    public void End()
    {
        TimeSpan duration;
        lock (_lock)
        {
            if (_start == 0)
                return;
            duration = Stopwatch.GetElapsedTime(_start);
            _start = 0;
        }
        Log.DownloadsWorkAgain(logger, duration.TotalSeconds);
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Downloads are failing ({Reason}); retrying each with backoff (at most {MaxDelaySeconds} s apart) until they work")]
        public static partial void DownloadsFailing(ILogger logger, string reason, double maxDelaySeconds);

        [LoggerMessage(LogLevel.Information, "Downloads work again after {Seconds:0.0} s")]
        public static partial void DownloadsWorkAgain(ILogger logger, double seconds);
    }
}

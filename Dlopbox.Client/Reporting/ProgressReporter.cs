using System.Net;
using Dlopbox.Client.Replica;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Dlopbox.ServiceDefaults.Retry;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Reporting;

/// <summary>
/// Tells the Interface where this replica stands (<c>PUT /clients/{name}</c>) every
/// <see cref="ClientOptions.ReportInterval"/>, and at once when the phase changes or a reconcile starts or ends;
/// and keeps <c>status.json</c> in the state dir current for <c>dlopbox-client status</c>. Best effort: a report
/// that fails is superseded by the next, and nothing here ever holds up the sync.
/// </summary>
internal sealed partial class ProgressReporter(
    ProgressReportClient client,
    SyncProgress progress,
    AppliedOffsetTracker offsets,
    ClientTelemetry telemetry,
    IOptions<ClientOptions> options,
    TimeProvider time,
    ILogger<ProgressReporter> logger) : BackgroundService
{
    /// <summary>The Interface refuses longer messages; a message this long says all it can anyway.</summary>
    internal const int MaxErrorLength = 2000;

    private readonly ClientStatusStore _status = new(options.Value.StateDir);
    private readonly OutageLog _reportOutage = new(time);
    private readonly OutageLog _statusOutage = new(time);
    private long _lastStatusWrite;
    private ClientPhase? _lastStatusPhase;

    /// <summary>What a report says right now.</summary>
    public ClientProgress Snapshot()
    {
        var error = progress.LastError;
        var message = error?.Message;
        if (message is { Length: > MaxErrorLength })
            message = message[..(MaxErrorLength - 1)] + "…";
        var phase = progress.Phase;
        return new ClientProgress
        {
            Phase = phase,
            AppliedOffset = offsets.Watermark,
            LagSeconds = phase == ClientPhase.Following ? telemetry.LagSeconds() : 0,
            Reconcile = progress.Reconcile,
            LastError = message,
            LastErrorAt = error?.At,
            StartedAt = progress.StartedAt,
            Repaired = progress.Repaired,
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ReportInterval;
        try
        {
            while (true)
            {
                // Taken before the snapshot: a change made while sending wakes the next round at once.
                var changed = progress.Changed;
                var report = Snapshot();
                await SendAsync(report, stoppingToken);
                await SaveStatusAsync(report, force: false, stoppingToken);

                using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var tick = Task.Delay(interval, time, wake.Token);
                await Task.WhenAny(tick, changed);
                await wake.CancelAsync();
                stoppingToken.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // The last word on the way out, so status shows where the replica was left. Here rather than at the end of
        // ExecuteAsync, which never runs at all when the host stops before it started.
        await SaveStatusAsync(Snapshot(), force: true, CancellationToken.None);
    }

    private async Task SendAsync(ClientProgress report, CancellationToken stoppingToken)
    {
        try
        {
            await client.PutAsync(options.Value.Name, report, stoppingToken);
            if (_reportOutage.Succeeded() is { } ended)
                LogReportsRecovered(logger, ended.Duration.TotalSeconds);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            // Once per outage, and quietly: reports only feed the status page; syncing goes on regardless.
            if (_reportOutage.Failed())
            {
                // A refused token is a setting to fix, not an outage to wait out: said louder.
                if (ex is HttpRequestException { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } refused)
                    LogReportsRefused(logger, (int)refused.StatusCode!);
                else
                    LogReportsFailing(logger, ex is OperationCanceledException ? "timed out" : ex.Message);
            }
        }
    }

    /// <summary>Rewrites status.json at most once per report interval, and whenever the phase changed.</summary>
    private async Task SaveStatusAsync(ClientProgress report, bool force, CancellationToken cancellationToken)
    {
        if (!force && report.Phase == _lastStatusPhase && _lastStatusWrite != 0
            && time.GetElapsedTime(_lastStatusWrite) < options.Value.ReportInterval)
            return;
        try
        {
            await _status.SaveAsync(new ClientStatusFile
            {
                Name = options.Value.Name,
                Phase = report.Phase,
                AppliedOffset = report.AppliedOffset,
                Reconcile = report.Reconcile,
                LastError = report.LastError,
                LastErrorAt = report.LastErrorAt,
                StartedAt = report.StartedAt,
                Repaired = report.Repaired,
                UpdatedAt = time.GetUtcNow(),
            }, cancellationToken);
            _lastStatusWrite = time.GetTimestamp();
            _lastStatusPhase = report.Phase;
            if (_statusOutage.Succeeded() is not null)
                LogStatusFileRecovered(logger, _status.FilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (_statusOutage.Failed())
                LogStatusFileFailing(logger, _status.FilePath, ex.Message);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Progress reports to the Interface are failing ({Reason}); the next ones are tried as usual")]
    private static partial void LogReportsFailing(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "The Interface refuses this client's progress reports ({Status}): set --token (Client__Token) to its Interface__ClientToken; the sync goes on regardless")]
    private static partial void LogReportsRefused(ILogger logger, int status);

    [LoggerMessage(LogLevel.Information, "Progress reports reach the Interface again after {Seconds:0.0} s")]
    private static partial void LogReportsRecovered(ILogger logger, double seconds);

    [LoggerMessage(LogLevel.Debug, "Could not write {StatusFile} ({Reason}); retrying with the next report")]
    private static partial void LogStatusFileFailing(ILogger logger, string statusFile, string reason);

    [LoggerMessage(LogLevel.Debug, "Writing {StatusFile} works again")]
    private static partial void LogStatusFileRecovered(ILogger logger, string statusFile);
}

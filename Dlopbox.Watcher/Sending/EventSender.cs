using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.ServiceDefaults.Retry;
using Dlopbox.Watcher.Changes;
using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher.Sending;

/// <summary>
/// POSTs batches to the Interface's <c>/events</c>. Outages (5xx, refused connections, timeouts, an open
/// circuit, a refused token) are waited out with capped exponential backoff, logged once when they start
/// and once when they end, so nothing is lost while the Interface is down. 413 splits the batch in halves.
/// So does 400, since the Interface refuses a whole batch for one event it will not take: the halves
/// isolate that event, which alone is logged and dropped (retrying it would never succeed), and the rest
/// of the batch still goes through. A 202 names the stream's epoch, which the pipeline compares with
/// the one its acknowledged state was sent to.
/// </summary>
internal sealed partial class EventSender(
    IHttpClientFactory httpClientFactory,
    IOptions<WatcherOptions> options,
    WatcherState state,
    ILogger<EventSender> logger,
    WatcherTelemetry telemetry,
    TimeProvider time) : IChangeSink
{
    public const string HttpClientName = WireNames.InterfaceService;

    private const int MaxLoggedBodyChars = 4000;

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly string _source = options.Value.Source;
    private readonly AuthenticationHeaderValue _authorization = new("Bearer", options.Value.Token);
    private readonly OutageLog _outage = new(time);

    /// <summary>First retry delay; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    internal TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    internal TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    private enum Outcome
    {
        Accepted,
        TooLarge,
        Rejected,
    }

    private readonly record struct Answer(Outcome Outcome, string Problem = "", StreamEpoch? Epoch = null);

    public async Task<Delivery> DeliverAsync(IReadOnlyList<FileChange> changes, CancellationToken cancellationToken)
    {
        var accepted = new List<FileChange>(changes.Count);
        var epoch = await DeliverRangeAsync(changes, accepted, cancellationToken);
        return new Delivery(accepted, epoch);
    }

    /// <summary>Returns the epoch of the last accepted answer that told one.</summary>
    private async Task<StreamEpoch?> DeliverRangeAsync(IReadOnlyList<FileChange> changes, List<FileChange> accepted,
        CancellationToken cancellationToken)
    {
        var answer = await PostUntilAnsweredAsync(changes, cancellationToken);
        switch (answer.Outcome)
        {
            case Outcome.Accepted:
                accepted.AddRange(changes);
                return answer.Epoch;
            case not Outcome.Accepted when changes.Count == 0:
                // An Interface from before epochs may refuse an empty batch: then the epoch is simply unknown.
                LogProbeRefused(logger, answer.Problem);
                return null;
            case Outcome.TooLarge when changes.Count > 1:
                LogSplitting(logger, changes.Count);
                break;
            case Outcome.Rejected when changes.Count > 1:
                LogSplittingRejected(logger, changes.Count, answer.Problem);
                break;
            case Outcome.TooLarge:
                LogSingleEventTooLarge(logger, changes[0].Path);
                return null;
            case Outcome.Rejected:
                LogRejected(logger, changes[0].Kind, changes[0].Path, answer.Problem);
                return null;
        }
        var half = changes.Count / 2;
        var first = await DeliverRangeAsync(changes.Take(half).ToList(), accepted, cancellationToken);
        var second = await DeliverRangeAsync(changes.Skip(half).ToList(), accepted, cancellationToken);
        return second ?? first;
    }

    private async Task<Answer> PostUntilAnsweredAsync(IReadOnlyList<FileChange> changes, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new EventBatch { Source = _source, Events = changes }, DlopboxJsonContext.Default.EventBatch);
        // Every attempt's HTTP span (HttpClient instrumentation) is a child of this one.
        using var send = WatcherTelemetry.StartSend(changes);
        var backoff = new Backoff(FirstRetryDelay, MaxRetryDelay, time);
        while (true)
        {
            string problem;
            var refused = false;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, WireNames.EventsRoute)
                {
                    Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
                };
                request.Headers.Authorization = _authorization;
                using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    EndOutage();
                    telemetry.Posted(send, WatcherTelemetry.Outcomes.Accepted);
                    return new Answer(Outcome.Accepted, Epoch: await ReadEpochAsync(response.Content, cancellationToken));
                }
                if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
                {
                    EndOutage();
                    telemetry.Posted(send, WatcherTelemetry.Outcomes.TooLarge);
                    return new Answer(Outcome.TooLarge);
                }
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    refused = true;
                    problem = $"{status} {response.ReasonPhrase}: the Interface refused the token (check Watcher:Token)";
                }
                else if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                {
                    problem = $"{status} {response.ReasonPhrase}";
                }
                else
                {
                    var detail = await response.Content.ReadAsStringAsync(cancellationToken);
                    EndOutage();
                    telemetry.Posted(send, WatcherTelemetry.Outcomes.Rejected);
                    return new Answer(Outcome.Rejected,
                        $"{status} {response.ReasonPhrase}: {(detail.Length > MaxLoggedBodyChars ? detail[..MaxLoggedBodyChars] : detail)}");
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Refused connections, timeouts, an open circuit: all mean "not now".
                problem = $"{ex.GetType().Name}: {ex.Message}";
            }
            BeginOutage(problem, refused);
            telemetry.Retrying(send, problem);
            await backoff.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The epoch in a 202's <see cref="EventBatchAccepted"/>; null when the body cannot be read. The batch is
    /// accepted either way, so a bad body is only "no information", never a reason to send again.
    /// </summary>
    private async Task<StreamEpoch?> ReadEpochAsync(HttpContent content, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            var body = await JsonSerializer.DeserializeAsync(stream, DlopboxJsonContext.Default.EventBatchAccepted, cancellationToken);
            return body is null ? null : new StreamEpoch(body.Epoch);
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreadableAnswer(logger, ex.Message);
            return null;
        }
    }

    private void BeginOutage(string problem, bool refused)
    {
        if (!_outage.Failed())
            return;
        state.InterfaceUnavailableSince = time.GetUtcNow();
        if (refused)
            LogAuthorizationRefused(logger, problem);
        else
            LogOutageStarted(logger, problem);
    }

    private void EndOutage()
    {
        if (_outage.Succeeded() is not { } ended)
            return;
        LogOutageEnded(logger, ended.Duration, ended.FailedAttempts);
        state.InterfaceUnavailableSince = null;
    }

    [LoggerMessage(LogLevel.Warning, "The Interface does not take events ({Problem}); keeping them and retrying with backoff")]
    private static partial void LogOutageStarted(ILogger logger, string problem);

    [LoggerMessage(LogLevel.Error, "The Interface refuses this watcher ({Problem}); keeping events and retrying with backoff")]
    private static partial void LogAuthorizationRefused(ILogger logger, string problem);

    [LoggerMessage(LogLevel.Information, "The Interface takes events again after {Duration} and {Attempts} failed attempts")]
    private static partial void LogOutageEnded(ILogger logger, TimeSpan duration, int attempts);

    [LoggerMessage(LogLevel.Debug, "The Interface accepted a batch without a readable answer ({Reason}): its stream epoch is unknown")]
    private static partial void LogUnreadableAnswer(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Debug, "The Interface does not take an empty batch ({Problem}): its stream epoch is unknown")]
    private static partial void LogProbeRefused(ILogger logger, string problem);

    [LoggerMessage(LogLevel.Information, "The Interface found a batch of {Count} events too large; sending it in halves")]
    private static partial void LogSplitting(ILogger logger, int count);

    [LoggerMessage(LogLevel.Error, "The Interface found a single event too large; dropping it ({Path})")]
    private static partial void LogSingleEventTooLarge(ILogger logger, string path);

    [LoggerMessage(LogLevel.Debug, "The Interface rejected a batch of {Count} events ({Problem}); sending it in halves to find the events it refuses")]
    private static partial void LogSplittingRejected(ILogger logger, int count, string problem);

    [LoggerMessage(LogLevel.Error, "The Interface rejected the {Kind} of {Path} (a bug, not retried); dropping that event: {Problem}")]
    private static partial void LogRejected(ILogger logger, ChangeKind kind, string path, string problem);
}

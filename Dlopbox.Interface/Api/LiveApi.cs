using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.Interface.Live;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Dlopbox.Interface.Api;

/// <summary>
/// <c>GET /live</c>: server-sent events for the status page. <c>change</c> carries one stream event (a
/// <see cref="LoggedEvent"/>, its offset as the SSE id, so a reconnecting browser resumes after it);
/// <c>status</c> (<see cref="LiveStatus"/>) comes every few seconds and doubles as the keep-alive;
/// <c>dropped</c> says how many events a slow page missed.
/// </summary>
public static class LiveApi
{
    public static IEndpointRouteBuilder MapLiveApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(WireNames.LiveRoute, StreamAsync).WithName("LiveFeed").ExcludeFromDescription();
        return app;
    }

    private static async Task StreamAsync(HttpContext context, LiveFeed feed, ClientRegistry clients,
        IOptions<LiveOptions> options, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        // Browsers send the last id they saw when they reconnect; a page may also ask with ?after=.
        var after = ParseOffset(context.Request.Headers["Last-Event-ID"]) ?? ParseOffset(context.Request.Query["after"]);

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache, no-store";
        // Proxies such as nginx would otherwise hold the events back in their buffers.
        context.Response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // A long-lived response must end when the Interface stops, not hold its shutdown up.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        using var subscription = feed.Subscribe(after);
        try
        {
            await SseFormatter.WriteAsync(Items(subscription, feed, clients, options.Value, time, stop.Token),
                context.Response.Body, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static async IAsyncEnumerable<SseItem<string>> Items(LiveFeed.Subscription subscription, LiveFeed feed,
        ClientRegistry clients, LiveOptions settings, TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new SseItem<string>(Status(feed, clients, settings, time), "status")
        {
            ReconnectionInterval = TimeSpan.FromSeconds(2),
        };
        var nextStatus = time.GetUtcNow() + settings.StatusInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            while (subscription.Events.TryRead(out var logged))
            {
                yield return new SseItem<string>(JsonSerializer.Serialize(logged, DlopboxJsonContext.Default.LoggedEvent), "change")
                {
                    EventId = logged.Offset.ToString(CultureInfo.InvariantCulture),
                };
            }
            if (subscription.TakeDropped() is > 0 and var dropped)
                yield return new SseItem<string>(dropped.ToString(CultureInfo.InvariantCulture), "dropped");

            var untilStatus = nextStatus - time.GetUtcNow();
            if (untilStatus <= TimeSpan.Zero)
            {
                yield return new SseItem<string>(Status(feed, clients, settings, time), "status");
                nextStatus = time.GetUtcNow() + settings.StatusInterval;
                continue;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(untilStatus);
            try
            {
                if (!await subscription.Events.WaitToReadAsync(wait.Token))
                    yield break;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Time for the next status message.
            }
        }
    }

    private static string Status(LiveFeed feed, ClientRegistry clients, LiveOptions settings, TimeProvider time)
    {
        // One read of the head for both, so the lags add up to what the page shows as the head.
        var overview = clients.Overview();
        return JsonSerializer.Serialize(new LiveStatus
        {
            HeadOffset = overview.HeadOffset,
            ServerTime = time.GetUtcNow(),
            BucketSeconds = feed.BucketSeconds,
            Throughput = feed.Throughput(),
            Clients = overview.Clients,
            FilesUrl = string.IsNullOrWhiteSpace(settings.FilesUrl) ? null : settings.FilesUrl,
        }, DlopboxJsonContext.Default.LiveStatus);
    }

    private static long? ParseOffset(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset : null;
}

using System.Diagnostics;
using Dlopbox.Contracts;
using Dlopbox.Interface.EventStream;
using Microsoft.Extensions.Options;

namespace Dlopbox.Interface.Api;

/// <summary><c>POST /events</c>: the watcher's batches, checked, then appended to the stream.</summary>
public static partial class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(WireNames.EventsRoute, PostEventsAsync)
            .AddEndpointFilter(RequireWatcherToken)
            .WithName("PostEvents");
        return app;
    }

    private static async Task<IResult> PostEventsAsync(
        HttpContext context,
        IOptions<InterfaceOptions> options,
        StreamPublisher publisher,
        TimeProvider clock,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(EventsApi));
        var limits = options.Value;
        var (batch, problem) = await JsonRequestBody.ReadAsync(context, DlopboxJsonContext.Default.EventBatch, limits.MaxRequestBodyBytes,
            "batch", TooLarge($"The body may hold at most {limits.MaxRequestBodyBytes} bytes."),
            (field, reason) => LogMalformed(logger, field, reason), cancellationToken);
        if (batch is null)
            return problem!;
        if (batch.Events.Count > limits.MaxBatchEvents)
            return TooLarge($"A batch may hold at most {limits.MaxBatchEvents} events; split it.");

        var errors = EventBatchValidator.Validate(batch, limits.MaxFileSize);
        if (errors.Count > 0)
        {
            foreach (var (field, messages) in errors)
                LogRefused(logger, batch.Source, field, string.Join("; ", messages));
            return Results.ValidationProblem(errors, title: "Some events of the batch are invalid; none was accepted.");
        }

        var receivedAt = clock.GetUtcNow();
        var records = new List<ChangeRecord>(batch.Events.Count);
        var traceParents = TraceParents(batch);
        foreach (var change in batch.Events)
        {
            // The stream carries the trace context in the AMQP headers; the record stays as it was.
            var recorded = change.TraceParent is null ? change : change with { TraceParent = null };
            records.Add(new ChangeRecord { Change = recorded, Source = batch.Source, ReceivedAt = receivedAt });
        }
        string? epoch;
        try
        {
            epoch = await publisher.PublishAsync(records, traceParents, cancellationToken);
        }
        catch (StreamUnavailableException)
        {
            context.Response.Headers.RetryAfter = "1";
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The event stream is unavailable.", detail: "Nothing of this batch was acknowledged; send it again.");
        }
        return Results.Accepted(value: new EventBatchAccepted(records.Count, epoch));
    }

    /// <summary>Each change's trace context (validated), or null when not tracing or none has one.</summary>
    private static ActivityContext[]? TraceParents(EventBatch batch)
    {
        if (!InterfaceTelemetry.Source.HasListeners())
            return null;
        ActivityContext[]? contexts = null;
        for (var i = 0; i < batch.Events.Count; i++)
        {
            if (ActivityContext.TryParse(batch.Events[i].TraceParent, null, isRemote: true, out var context))
                (contexts ??= new ActivityContext[batch.Events.Count])[i] = context;
        }
        return contexts;
    }

    private static IResult TooLarge(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The batch is too large.", detail: detail);

    /// <summary>Only the watcher may append: it presents the shared bearer token (compared in constant time).</summary>
    private static async ValueTask<object?> RequireWatcherToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = http.RequestServices.GetRequiredService<IOptions<InterfaceOptions>>().Value.WatcherToken;
        if (!BearerToken.Matches(http.Request, expected))
        {
            LogUnauthorized(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EventsApi)),
                http.Connection.RemoteIpAddress?.ToString());
            return BearerToken.Challenge(http, "A valid bearer token is required.");
        }
        return await next(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a malformed batch at {Field}: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string field, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a batch from {Source}: {Field} {Reason}")]
    private static partial void LogRefused(ILogger logger, string source, string field, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a batch without a valid token from {Remote}")]
    private static partial void LogUnauthorized(ILogger logger, string? remote);
}

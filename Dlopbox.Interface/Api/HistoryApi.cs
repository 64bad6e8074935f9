using System.Globalization;
using Dlopbox.Contracts;
using Dlopbox.Interface.EventLog;

namespace Dlopbox.Interface.Api;

/// <summary><c>GET /events</c> and <c>GET /events/{offset}</c>: the history kept in the event log.</summary>
public static class HistoryApi
{
    private static readonly HashSet<string> Parameters = ["path", "prefix", "kind", "since", "until", "limit", "after", "order"];

    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(WireNames.EventsRoute, QueryAsync).WithName("QueryEvents");
        app.MapGet(WireNames.EventsRoute + "/{offset:long}", GetAsync).WithName("GetEvent");
        return app;
    }

    private static async Task<IResult> QueryAsync(HttpRequest request, IEventLogStore store, CancellationToken cancellationToken)
    {
        if (!TryParse(request.Query, out var query, out var errors))
            return Results.ValidationProblem(errors, title: "Some query parameters are invalid.");
        try
        {
            return TypedResults.Json(await store.QueryAsync(query, cancellationToken), DlopboxJsonContext.Default.EventPage);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unavailable(store, ex);
        }
    }

    private static async Task<IResult> GetAsync(long offset, IEventLogStore store, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetAsync(offset, cancellationToken) is { } found
                ? TypedResults.Json(found, DlopboxJsonContext.Default.LoggedEvent)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No event at offset {offset} in the log.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unavailable(store, ex);
        }
    }

    private static IResult Unavailable(IEventLogStore store, Exception ex) =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
            title: $"The event log ({store.Name}) is unavailable.", detail: ex.Message);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Every parameter is checked; each problem is reported against its name.</summary>
    public static bool TryParse(IQueryCollection q, out EventQuery query, out Dictionary<string, string[]> errors)
    {
        var problems = new Dictionary<string, string[]>();
        void Fail(string name, string message) => problems[name] = [message];

        foreach (var key in q.Keys.Where(k => !Parameters.Contains(k)))
            Fail(key, $"is not a parameter; use {string.Join(", ", Parameters)}");

        // An HTML form sends its empty fields too: empty means "not given".
        string? path = NullIfEmpty(q["path"]), prefix = NullIfEmpty(q["prefix"]);
        if (path is not null && PathRules.Check(path) is { } pathProblem)
            Fail("path", pathProblem);
        if (prefix is not null && PathRules.Check(prefix) is { } prefixProblem)
            Fail("prefix", prefixProblem);

        ChangeKind? kind = null;
        if (q["kind"].ToString() is { Length: > 0 } kindText)
        {
            if (Enum.TryParse<ChangeKind>(kindText, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(kindText, out _))
                kind = parsed;
            else
                Fail("kind", "must be one of write, mkdir, delete, move");
        }

        DateTimeOffset? Time(string name)
        {
            if (q[name].ToString() is not { Length: > 0 } text)
                return null;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
                return value;
            Fail(name, "must be a date and time in ISO 8601 (e.g. 2026-11-23T10:00:00Z)");
            return null;
        }
        var since = Time("since");
        var until = Time("until");

        var limit = 100;
        if (q["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > EventQuery.MaxLimit))
            Fail("limit", $"must be a whole number from 1 to {EventQuery.MaxLimit}");

        long? after = null;
        if (q["after"].ToString() is { Length: > 0 } afterText)
        {
            if (long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
                after = cursor;
            else
                Fail("after", "must be an offset (a whole number ≥ 0)");
        }

        var order = q["order"].ToString();
        if (order is not ("" or "desc" or "asc"))
            Fail("order", "must be desc (newest first, the default) or asc (by offset)");

        errors = problems;
        query = new EventQuery
        {
            Path = path,
            Prefix = prefix,
            Kind = kind,
            Since = since,
            Until = until,
            Limit = limit,
            After = after,
            Ascending = order == "asc",
        };
        return problems.Count == 0;
    }
}

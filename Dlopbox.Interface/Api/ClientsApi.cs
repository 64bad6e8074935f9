using Dlopbox.Contracts;
using Dlopbox.Interface.Live;
using Microsoft.Extensions.Options;

namespace Dlopbox.Interface.Api;

/// <summary>
/// <c>PUT /clients/{name}</c>: a client's progress report; <c>GET /clients</c> and <c>GET /clients/{name}</c>: what the
/// Interface knows of them. Reports carry <see cref="InterfaceOptions.ClientToken"/> when one is set; reading needs
/// none, since the status page shows the same to whoever can open it.
/// </summary>
public static partial class ClientsApi
{
    /// <summary>A report is a few hundred bytes; anything much larger is not one.</summary>
    private const long MaxReportBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapClientsApi(this IEndpointRouteBuilder app)
    {
        app.MapPut(WireNames.ClientsRoute + "/{name}", ReportAsync).WithName("ReportClientProgress");
        if (string.IsNullOrEmpty(app.ServiceProvider.GetRequiredService<IOptions<InterfaceOptions>>().Value.ClientToken))
            LogOpenReports(app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClientsApi)));
        app.MapGet(WireNames.ClientsRoute, (ClientRegistry clients) =>
                TypedResults.Json(clients.Overview(), DlopboxJsonContext.Default.ClientsOverview))
            .WithName("ListClients");
        app.MapGet(WireNames.ClientsRoute + "/{name}", (string name, ClientRegistry clients) =>
                clients.Find(name) is { } found
                    ? Results.Json(found, DlopboxJsonContext.Default.ClientStatus)
                    : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No client named '{name}' has reported in."))
            .WithName("GetClient");
        return app;
    }

    private static async Task<IResult> ReportAsync(string name, HttpContext context, ClientRegistry clients,
        IOptions<InterfaceOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(ClientsApi));
        if (options.Value.ClientToken is { Length: > 0 } token && !BearerToken.Matches(context.Request, token))
        {
            LogRefused(logger, name, $"no valid token (from {context.Connection.RemoteIpAddress})");
            return BearerToken.Challenge(context, "A valid bearer token is required: the client's Client:Token must equal the Interface's Interface:ClientToken.");
        }
        if (!ClientNames.IsValid(name))
        {
            LogRefused(logger, name, "invalid name");
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["name"] = [$"must be {ClientNames.Rule}"],
            });
        }
        var (progress, problem) = await JsonRequestBody.ReadAsync(context, DlopboxJsonContext.Default.ClientProgress, MaxReportBytes, "report",
            Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: $"A report may hold at most {MaxReportBytes} bytes."),
            (_, reason) => LogRefused(logger, name, reason), cancellationToken);
        if (progress is null)
            return problem!;
        if (Check(progress) is { Count: > 0 } errors)
        {
            LogRefused(logger, name, string.Join("; ", errors.Select(e => $"{e.Key} {e.Value[0]}")));
            return Results.ValidationProblem(errors, title: "The report is invalid.");
        }

        clients.Report(name, progress);
        return Results.NoContent();
    }

    private static Dictionary<string, string[]> Check(ClientProgress progress)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Enum.IsDefined(progress.Phase))
            errors["phase"] = ["must be starting, reconciling, following or disconnected"];
        if (progress.AppliedOffset < -1)
            errors["appliedOffset"] = ["must be -1 (nothing applied yet) or an offset"];
        if (progress.LagSeconds < 0 || !double.IsFinite(progress.LagSeconds))
            errors["lagSeconds"] = ["must be a finite number ≥ 0"];
        if (progress.Reconcile is { } r && (r.FilesDone < 0 || r.FilesTotal < 0 || r.BytesDone < 0 || r.BytesTotal < 0))
            errors["reconcile"] = ["counts must be ≥ 0"];
        if (progress.LastError is { Length: > 2000 })
            errors["lastError"] = ["must be at most 2000 characters"];
        return errors;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interface:ClientToken is not set: progress reports need no token, so anyone who can reach the Interface can add a client to the status page")]
    private static partial void LogOpenReports(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a progress report from client {Client}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string client, string reason);
}

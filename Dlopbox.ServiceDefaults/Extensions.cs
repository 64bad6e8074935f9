using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Dlopbox.ServiceDefaults;

/// <summary>
/// The shape of Aspire's service-defaults template, built from packages that need no Aspire feed:
/// OpenTelemetry (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set), health checks, service discovery
/// (<c>services__{name}__{endpoint}__0</c>) and the standard HTTP resilience pipeline.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Every dlopbox activity source and meter starts with this, so one wildcard collects them all.</summary>
    public const string TelemetryPrefix = "Dlopbox.";

    /// <summary>
    /// Set (e.g. <c>/tmp/spans-{service}.jsonl</c>) to keep every span, sampled or not, as JSON lines in that
    /// file; <c>{service}</c> becomes the application name. Only tests use it: it writes on every span end.
    /// </summary>
    public const string TraceFileVariable = "DLOPBOX_TRACE_FILE";

    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix + "*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + "*")
                // RabbitMQ.Client 7 carries W3C trace context in AMQP headers through these sources.
                .AddSource("RabbitMQ.Client.*")
                .AddAspNetCoreInstrumentation(aspnet =>
                    aspnet.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        builder.AddOpenTelemetryExporters();
        return builder;
    }

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            builder.Services.AddOpenTelemetry().UseOtlpExporter();

        if (builder.Configuration[TraceFileVariable] is { Length: > 0 } traceFile)
        {
            var service = builder.Environment.ApplicationName;
            var path = traceFile.Replace("{service}", service, StringComparison.Ordinal);
            // The simple processor exports at each span's end, so a test reading the file waits for nothing.
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
                .SetSampler(new AlwaysOnSampler())
                .AddProcessor(new SimpleActivityExportProcessor(new JsonLinesActivityExporter(path, service))));
        }
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check) and <c>/alive</c> (liveness only). Unlike the template these are
    /// mapped in every environment: the launcher and the tests wait on them, and they reveal nothing.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}

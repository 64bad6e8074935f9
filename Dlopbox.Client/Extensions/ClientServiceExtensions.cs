using System.Net;
using Dlopbox.Client;
using Dlopbox.Client.Broker;
using Dlopbox.Client.Drift;
using Dlopbox.Client.Health;
using Dlopbox.Client.Replica;
using Dlopbox.Client.Reporting;
using Dlopbox.Client.State;
using Dlopbox.Client.Terminal;
using Dlopbox.Contracts;
using Dlopbox.EventBus;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Extensions;

internal static class ClientServiceExtensions
{
    /// <summary>Longest a download may wait for response headers; the body then streams without a deadline.</summary>
    private static readonly TimeSpan FileAttemptTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan SnapshotAttemptTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A progress report is tiny; one that takes longer than this is superseded by the next anyway.</summary>
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(5);

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<ClientOptions>()
            .BindConfiguration(ClientOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClientOptions>, ClientOptionsValidator>();
        services.AddSingleton(TimeProvider.System);

        // Stream sessions open their connections from it with recovery off: the client resumes from its own applied offset.
        builder.AddEventStreamConnection(ClientConnectionName(builder.Configuration));

        services.AddSingleton<SyncProgress>();
        services.AddSingleton<AppliedOffsetTracker>();
        services.AddSingleton<ClientTelemetry>();
        services.AddSingleton<ClientStateStore>();
        services.AddSingleton<OwnWrites>();
        services.AddSingleton(sp => new ReplicaDirectory(sp.GetRequiredService<IOptions<ClientOptions>>().Value.ReplicaDir, sp.GetRequiredService<OwnWrites>()));
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<ClientOptions>>().Value;
            return new ReplicaDriftWatcher(settings.ReplicaDir, sp.GetRequiredService<OwnWrites>(), settings.DriftSettleTime,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ReplicaDriftWatcher>>());
        });
        services.AddSingleton<FileDownloader>();
        services.AddSingleton<UnresolvedFiles>();
        services.AddSingleton<ReplicaApplier>();
        services.AddSingleton<SnapshotReconciler>();
        services.AddSingleton<StreamConsumer>();
        services.AddSingleton<StreamHeadProbe>();
        services.AddSingleton<StreamSessionOpener>();

        builder.AddMasterClients();
        builder.AddReportClient();

        services.AddHealthChecks()
            .AddCheck<ReplicaReadinessCheck>(ReplicaReadinessCheck.Name);

        services.AddHostedService<ReplicaSyncWorker>();
        services.AddHostedService<ProgressReporter>();
        // The command line decides (and registers) the display before the host is built; plain lines otherwise.
        services.TryAddSingleton(_ => ConsoleDisplay.Create(ProgressDisplay.Lines));
        services.AddHostedService<InitialSyncDisplay>();
    }

    /// <summary>What the client's broker connections are named: <c>dlopbox-client:{Name}</c> (its options bind the same key).</summary>
    private static string ClientConnectionName(IConfiguration configuration) =>
        $"dlopbox-client:{configuration[$"{ClientOptions.Section}:{nameof(ClientOptions.Name)}"] ?? Environment.MachineName}";

    /// <summary>
    /// HTTP clients for the Interface (snapshots) and nginx (file contents), found by service discovery.
    /// The service defaults give every client a 10 s attempt / 30 s total budget; snapshots and downloads
    /// need more, and RemoveAllResilienceHandlers (experimental, EXTEXP0001) is the supported way to replace it.
    /// </summary>
#pragma warning disable EXTEXP0001
    private static void AddMasterClients(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient<SnapshotClient>((sp, http) =>
            {
                http.BaseAddress = new Uri($"http://{WireNames.InterfaceService}");
                IdentifyClient(sp, http);
            })
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience =>
            {
                // A snapshot of a large tree takes longer than the default 10 s to serialize.
                resilience.AttemptTimeout.Timeout = SnapshotAttemptTimeout;
                resilience.TotalRequestTimeout.Timeout = 3 * SnapshotAttemptTimeout;
                resilience.CircuitBreaker.SamplingDuration = 2 * SnapshotAttemptTimeout;
            });

        builder.Services.AddHttpClient<IMasterFileSource, NginxFileSource>((sp, http) =>
            {
                http.BaseAddress = new Uri($"http://{WireNames.FilesService}");
                IdentifyClient(sp, http);
                // Downloads are read with ResponseHeadersRead and stream for as long as they take.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var parallel = sp.GetRequiredService<IOptions<ClientOptions>>().Value.MaxParallelDownloads;
                return new SocketsHttpHandler
                {
                    // One kept-alive connection per parallel download.
                    MaxConnectionsPerServer = parallel,
                    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                    AutomaticDecompression = DecompressionMethods.None,
                };
            })
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience =>
            {
                // These timeouts bound the wait for response headers only: the body is read after the pipeline returns.
                resilience.AttemptTimeout.Timeout = FileAttemptTimeout;
                resilience.TotalRequestTimeout.Timeout = 4 * FileAttemptTimeout;
                resilience.CircuitBreaker.SamplingDuration = 2 * FileAttemptTimeout;
            });
    }

    /// <summary>
    /// Progress reports to the Interface: a short timeout and no retry pipeline. A report that fails is not worth
    /// retrying; the next one, a report interval later, says the same and newer.
    /// </summary>
    private static void AddReportClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient<ProgressReportClient>((sp, http) =>
            {
                http.BaseAddress = new Uri($"http://{WireNames.InterfaceService}");
                http.Timeout = ReportTimeout;
                IdentifyClient(sp, http);
            })
            .RemoveAllResilienceHandlers();
    }
#pragma warning restore EXTEXP0001

    /// <summary>Names the replica in every request (User-Agent <c>dlopbox-client/NAME</c>), so server logs tell clients apart.</summary>
    private static void IdentifyClient(IServiceProvider services, HttpClient http)
    {
        var name = services.GetRequiredService<IOptions<ClientOptions>>().Value.Name;
        // A name that is not a valid product token (spaces, slashes) still identifies as a dlopbox client.
        if (!http.DefaultRequestHeaders.UserAgent.TryParseAdd($"dlopbox-client/{name}"))
            http.DefaultRequestHeaders.UserAgent.TryParseAdd("dlopbox-client");
    }
}

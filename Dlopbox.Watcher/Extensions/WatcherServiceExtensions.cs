using Dlopbox.Contracts;
using Dlopbox.FileSystem.Inotify;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.FileSystem;
using Dlopbox.Watcher.Sending;
using Dlopbox.Watcher.Sources;
using Dlopbox.Watcher.Sources.Inotify;
using Dlopbox.Watcher.State;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;

namespace Dlopbox.Watcher.Extensions;

internal static class WatcherServiceExtensions
{
    private static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Watches the master dir (inotify or polling) and sends its changes to the Interface.</summary>
    public static IHostApplicationBuilder AddMasterWatcher(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WatcherOptions>()
            .BindConfiguration(WatcherOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WatcherOptions>, WatcherOptionsValidator>();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WatcherState>();
        builder.Services.AddSingleton<WatcherTelemetry>();
        builder.Services.AddSingleton<TreeScanner>();
        builder.Services.AddSingleton<PendingChanges>();
        builder.Services.AddSingleton<ChangeEmitter>();
        builder.Services.AddSingleton<WatcherStateStore>();
        builder.Services.AddSingleton<ChangePipeline>();
        builder.Services.AddSingleton<IChangeSource>(sp =>
            sp.GetRequiredService<IOptions<WatcherOptions>>().Value.Mode == WatchMode.Polling
                ? ActivatorUtilities.CreateInstance<PollingWatcher>(sp)
                : ActivatorUtilities.CreateInstance<InotifyWatcher>(sp));
        builder.Services.AddHostedService<MasterWatcherService>();

        builder.Services.AddHealthChecks().AddCheck<WatcherReadinessCheck>("watcher", tags: ["ready"]);
        return builder;
    }

    /// <summary>The HTTP client of the Interface (found by service discovery) and the sender that uses it.</summary>
    public static IHostApplicationBuilder AddEventSender(this IHostApplicationBuilder builder)
    {
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is the supported way to replace the service defaults' pipeline.
        builder.Services.AddHttpClient(EventSender.HttpClientName,
                client => client.BaseAddress = new Uri($"http://{WireNames.InterfaceService}"))
            .RemoveAllResilienceHandlers()
            // The sender retries each batch itself, with capped backoff and one log line per outage; the
            // default retries and circuit breaker stacked under it would only delay delivery after an outage.
            .AddResilienceHandler("post-events", pipeline => pipeline.AddTimeout(PostTimeout));
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<IChangeSink, EventSender>();
        return builder;
    }
}

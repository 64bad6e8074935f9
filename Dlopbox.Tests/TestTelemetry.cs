using System.Diagnostics.Metrics;
using Dlopbox.Client;
using Dlopbox.Client.Drift;
using Dlopbox.Client.Replica;
using Dlopbox.Client.State;
using Dlopbox.Watcher;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests;

/// <summary>
/// The services' dependencies are never optional: tests that build a class by hand give it these, real ones
/// (their meters have no listener here, so they only count).
/// </summary>
internal static class TestTelemetry
{
    private static readonly ServiceProvider Metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private static IMeterFactory MeterFactory => Metrics.GetRequiredService<IMeterFactory>();

    public static ClientTelemetry Client(AppliedOffsetTracker? offsets = null, IOptions<ClientOptions>? options = null) =>
        new(MeterFactory, offsets ?? new AppliedOffsetTracker(), options ?? Options.Create(new ClientOptions()), TimeProvider.System);

    public static WatcherTelemetry Watcher() => new(MeterFactory);

    public static SyncProgress Progress() => new(TimeProvider.System);

    public static OwnWrites OwnWrites() => new(TimeProvider.System);
}

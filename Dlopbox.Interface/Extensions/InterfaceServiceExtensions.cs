using Dlopbox.Contracts;
using Dlopbox.EventBus;
using Dlopbox.Interface.EventStream;
using Dlopbox.Interface.Index;
using Dlopbox.Interface.Live;
using Microsoft.Extensions.Options;

namespace Dlopbox.Interface.Extensions;

public static class InterfaceServiceExtensions
{
    /// <summary>The broker connection, the stream's declaration and the confirmed publisher.</summary>
    public static IHostApplicationBuilder AddEventStream(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InterfaceOptions>()
            .BindConfiguration(InterfaceOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<InterfaceOptions>, InterfaceOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddBrokerClient();
        builder.Services.AddSingleton<RabbitConnectionProvider>();
        builder.Services.AddSingleton<StreamTopology>();
        builder.Services.AddSingleton<StreamEpoch>();
        builder.Services.AddSingleton<StreamPublisher>();
        return builder;
    }

    /// <summary>
    /// Aspire.RabbitMQ.Client for <c>ConnectionStrings:rabbit</c>: its configuration (<c>Aspire:RabbitMQ:Client</c>),
    /// its health check (<c>RabbitMQ.Client</c>, on a connection of its own that recovers by itself, so the check
    /// turns healthy again when the broker is back), not its tracing. The stream's users take their connections
    /// from <see cref="StreamConnectionFactory"/>: the integration's settings with recovery off.
    /// </summary>
    private static void AddBrokerClient(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(WireNames.RabbitConnection);
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new InvalidOperationException($"ConnectionStrings:{WireNames.RabbitConnection} must be set to the broker's amqp:// or amqps:// URI.");

        var application = builder.Environment.ApplicationName;
        // Its tracing off: ServiceDefaults already listens to RabbitMQ.Client's sources, and the integration's own
        // tracing on top cost about 3 ms per change at p50 (bench latency, side by side, 2 vCPU).
        builder.AddRabbitMQClient(WireNames.RabbitConnection, settings => settings.DisableTracing = true,
            configureConnectionFactory: factory => factory.ClientProvidedName ??= $"{application}:health");
        builder.Services.AddSingleton(sp => new StreamConnectionFactory(sp.GetRequiredService<RabbitMQ.Client.IConnectionFactory>(), application));
    }

    /// <summary>The index of the master tree, kept current by following the stream; it answers <c>/snapshot</c>.</summary>
    public static IHostApplicationBuilder AddMasterIndex(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MasterIndex>();
        builder.Services.AddSingleton<StreamIndexer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StreamIndexer>());
        builder.Services.AddHealthChecks().AddCheck<StreamIndexer>("event-stream", tags: ["ready"]);
        return builder;
    }

    /// <summary>The live status page's feed and the registry of clients' progress reports.</summary>
    public static IHostApplicationBuilder AddLivePage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LiveOptions>()
            .BindConfiguration(LiveOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LiveOptions>, LiveOptionsValidator>();
        builder.Services.AddSingleton<LiveFeed>();
        builder.Services.AddSingleton<ClientRegistry>();
        return builder;
    }
}

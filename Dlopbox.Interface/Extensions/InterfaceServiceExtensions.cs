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
        builder.AddEventStreamConnection(builder.Environment.ApplicationName);
        builder.Services.AddSingleton<RabbitConnectionProvider>();
        builder.Services.AddSingleton<StreamTopology>();
        builder.Services.AddSingleton<StreamEpoch>();
        builder.Services.AddSingleton<StreamPublisher>();
        return builder;
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

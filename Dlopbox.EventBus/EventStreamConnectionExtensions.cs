using Dlopbox.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dlopbox.EventBus;

public static class EventStreamConnectionExtensions
{
    /// <summary>
    /// Aspire.RabbitMQ.Client for <c>ConnectionStrings:rabbit</c>: its configuration (<c>Aspire:RabbitMQ:Client</c>),
    /// its health check (<c>RabbitMQ.Client</c>, on a connection of its own named <c>{clientProvidedName}:health</c>
    /// that recovers by itself, so the check turns healthy again when the broker is back), not its tracing. The
    /// stream's users take their connections from <see cref="StreamConnectionFactory"/>, named
    /// <paramref name="clientProvidedName"/>: the integration's settings with recovery off.
    /// </summary>
    public static IHostApplicationBuilder AddEventStreamConnection(this IHostApplicationBuilder builder, string clientProvidedName)
    {
        var connectionString = builder.Configuration.GetConnectionString(WireNames.RabbitConnection);
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new InvalidOperationException($"ConnectionStrings:{WireNames.RabbitConnection} must be set to the broker's amqp:// or amqps:// URI.");

        var healthName = $"{clientProvidedName}:health";
        // Its tracing off: ServiceDefaults already listens to RabbitMQ.Client's sources, and the integration's own
        // tracing on top cost about 3 ms per change at p50 (bench latency, side by side, 2 vCPU).
        builder.AddRabbitMQClient(WireNames.RabbitConnection, settings => settings.DisableTracing = true,
            configureConnectionFactory: factory => factory.ClientProvidedName ??= healthName);
        builder.Services.AddSingleton(sp => new StreamConnectionFactory(sp.GetRequiredService<RabbitMQ.Client.IConnectionFactory>(), clientProvidedName));
        return builder;
    }
}

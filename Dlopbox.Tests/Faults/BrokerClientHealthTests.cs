using Dlopbox.Client;
using Dlopbox.Client.Cli;
using Dlopbox.Client.Extensions;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using Dlopbox.EventBus;
using Dlopbox.Interface.Extensions;
using Dlopbox.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace Dlopbox.Tests.Faults;

/// <summary>
/// The Interface's and the client's broker wiring (Aspire.RabbitMQ.Client) on a private rabbitmq-server that is
/// stopped and started again: the integration's health check follows the broker both ways, and the stream's own
/// connections (recovery off) carry the integration's settings and are not brought back by the library.
/// </summary>
public sealed class BrokerClientHealthTests : IAsyncLifetime
{
    /// <summary>The name Aspire.RabbitMQ.Client gives its (unkeyed) health check.</summary>
    private const string BrokerCheck = "RabbitMQ.Client";

    private const string Stream = "dlopbox.health-test";

    /// <summary>Not a default of anything, so a connection that has it got it from the integration's section.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(7);

    /// <summary>Longer than the library's recovery interval (5 s) plus a reconnect.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlopbox-broker-health-" + Guid.NewGuid().ToString("N"));
    private readonly BrokerUser _interfaceUser = BrokerUser.Interface("interface-secret");
    private readonly BrokerUser _clientUser = BrokerUser.Client("client-secret", Stream);
    private EmbeddedRabbitMq _broker = null!;

    public async Task InitializeAsync() =>
        _broker = await EmbeddedRabbitMq.StartAsync(_dir, [_interfaceUser, _clientUser], echo: false, CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_broker_check_is_unhealthy_while_the_broker_is_down_and_healthy_again_after_and_stream_connections_stay_closed()
    {
        using var interfaceHost = InterfaceHost(_interfaceUser.AmqpUri(_broker.Port));
        await using var clientHost = ClientServices(_clientUser.AmqpUri(_broker.Port));
        var services = new[] { ("Interface", interfaceHost.Services), ("client", clientHost.Services) };

        foreach (var (name, provider) in services)
            await StatusBecomesAsync(provider, HealthStatus.Healthy, TimeSpan.FromSeconds(30), $"{name}: {BrokerCheck} healthy with the broker up");

        var interfaceStream = interfaceHost.Services.GetRequiredService<StreamConnectionFactory>();
        var clientStream = clientHost.Services.GetRequiredService<StreamConnectionFactory>();
        await using var interfaceConnection = await interfaceStream.CreateConnectionAsync(CancellationToken.None);
        await using var clientConnection = await clientStream.CreateConnectionAsync(CancellationToken.None);
        Assert.Equal("Dlopbox.Interface", interfaceConnection.ClientProvidedName);
        Assert.Equal("dlopbox-client:health-test", clientConnection.ClientProvidedName);
        // The section's setting reached the stream's connections (the broker's own is 60 s; the lower one wins).
        Assert.Equal(Heartbeat, interfaceConnection.Heartbeat);
        Assert.Equal(Heartbeat, clientConnection.Heartbeat);

        await _broker.StopAsync();
        foreach (var (name, provider) in services)
            await StatusBecomesAsync(provider, HealthStatus.Unhealthy, TimeSpan.FromSeconds(30), $"{name}: {BrokerCheck} unhealthy with the broker stopped");
        Assert.False(interfaceConnection.IsOpen);
        Assert.False(clientConnection.IsOpen);

        await _broker.StartAgainAsync(CancellationToken.None);
        foreach (var (name, provider) in services)
            await StatusBecomesAsync(provider, HealthStatus.Healthy, Recovery, $"{name}: {BrokerCheck} healthy again after the broker restarted");

        // The health check's connection recovered by itself; the stream's connections did not (their owners resume
        // from their own offsets on new ones). Checked after the health connection came back, with time to spare.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(interfaceConnection.IsOpen);
        Assert.False(clientConnection.IsOpen);
        await using var fresh = await clientStream.CreateConnectionAsync(CancellationToken.None);
        Assert.True(fresh.IsOpen);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not a uri")]
    [InlineData("http://127.0.0.1:5672/")]
    public void The_Interface_refuses_to_start_without_an_amqp_connection_string(string? connectionString)
    {
        var builder = Builder(connectionString);
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddEventStream());
        Assert.Contains($"ConnectionStrings:{WireNames.RabbitConnection}", error.Message);
    }

    private static async Task StatusBecomesAsync(IServiceProvider services, HealthStatus expected, TimeSpan timeout, string what)
    {
        var health = services.GetRequiredService<HealthCheckService>();
        HealthReport? last = null;
        await Eventually.TrueAsync(async () =>
        {
            last = await health.CheckHealthAsync(r => r.Name == BrokerCheck);
            return last.Entries.TryGetValue(BrokerCheck, out var entry) && entry.Status == expected;
        }, timeout, what);
        Assert.Single(last!.Entries);
    }

    /// <summary>The Interface's event stream services, built (not started: the check is run directly).</summary>
    private static IHost InterfaceHost(string connectionString)
    {
        var builder = Builder(connectionString);
        builder.AddEventStream();
        return builder.Build();
    }

    private static HostApplicationBuilder Builder(string? connectionString)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "Dlopbox.Interface" });
        builder.Services.AddLogging();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{WireNames.RabbitConnection}"] = connectionString,
            ["Aspire:RabbitMQ:Client:MaxConnectRetryCount"] = "0",
            ["Aspire:RabbitMQ:Client:ConnectionFactory:RequestedHeartbeat"] = Heartbeat.ToString(),
        });
        return builder;
    }

    /// <summary>The client's services as its command line builds them, not started.</summary>
    private Microsoft.AspNetCore.Builder.WebApplication ClientServices(string connectionString)
    {
        var replica = Directory.CreateDirectory(Path.Combine(_dir, "replica")).FullName;
        var state = Directory.CreateDirectory(Path.Combine(_dir, "state")).FullName;
        var builder = ClientHost.CreateBuilder([], new Dictionary<string, string?>
        {
            [ClientSettings.RabbitKey] = connectionString,
            [ClientSettings.ReplicaKey] = replica,
            [ClientSettings.StateKey] = state,
            [ClientSettings.NameKey] = "health-test",
            [$"{ClientOptions.Section}:{nameof(ClientOptions.StreamName)}"] = Stream,
            ["Aspire:RabbitMQ:Client:MaxConnectRetryCount"] = "0",
            ["Aspire:RabbitMQ:Client:ConnectionFactory:RequestedHeartbeat"] = Heartbeat.ToString(),
        });
        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        return builder.Build();
    }
}

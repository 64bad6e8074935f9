using System.Security.Cryptography;
using Dlopbox.Contracts;

namespace Dlopbox.Embedded;

/// <summary>
/// The whole dlopbox system on one machine, no Docker: a private RabbitMQ node, nginx serving the
/// master dir, the Interface, the Watcher and one Client per replica dir, each a real process.
/// </summary>
public sealed class EmbeddedSystem : IAsyncDisposable
{
    private EmbeddedSystem(EmbeddedSystemOptions options, EmbeddedRabbitMq broker, EmbeddedNginx files)
    {
        Options = options;
        Broker = broker;
        Files = files;
    }

    public EmbeddedSystemOptions Options { get; }

    public EmbeddedRabbitMq Broker { get; }

    public EmbeddedNginx Files { get; }

    public ServiceProcess Interface { get; private set; } = null!;

    public ServiceProcess Watcher { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> Clients => _clients;

    private readonly List<ServiceProcess> _clients = [];
    private BrokerUser _clientUser = null!;

    /// <summary>The broker URI of the clients' user (may only read the stream), for one more client started by hand.</summary>
    public string ClientRabbitUri => _clientUser.AmqpUri(Broker.Port);
    private string _state = "";

    public string WatcherToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>The token the clients' progress reports carry (<c>Interface__ClientToken</c>).</summary>
    public string ClientToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public IEnumerable<ServiceProcess> Services => [Interface, Watcher, .. Clients];

    public static async Task<EmbeddedSystem> StartAsync(EmbeddedSystemOptions options, CancellationToken cancellationToken)
    {
        var state = Path.GetFullPath(options.StateDir);
        Directory.CreateDirectory(options.MasterDir);
        foreach (var replica in options.ReplicaDirs)
            Directory.CreateDirectory(replica);

        var interfaceUser = BrokerUser.Interface(BrokerUser.NewPassword());
        var clientUser = BrokerUser.Client(BrokerUser.NewPassword(), WireNames.EventStream);

        // RabbitMQ takes ~8 s to boot and nginx a moment: start them side by side.
        var brokerStart = EmbeddedRabbitMq.StartAsync(Path.Combine(state, "rabbitmq"), [interfaceUser, clientUser], echo: false, cancellationToken);
        var filesStart = EmbeddedNginx.StartAsync(Path.Combine(state, "nginx"), options.MasterDir, options.Echo, cancellationToken);
        EmbeddedRabbitMq? broker = null;
        EmbeddedNginx? files = null;
        try
        {
            broker = await brokerStart;
            files = await filesStart;
        }
        catch
        {
            if (broker is not null)
                await broker.DisposeAsync();
            else if (brokerStart.IsCompletedSuccessfully)
                await brokerStart.Result.DisposeAsync();
            if (filesStart.IsCompletedSuccessfully)
                await filesStart.Result.DisposeAsync();
            throw;
        }

        var system = new EmbeddedSystem(options, broker, files);
        try
        {
            if (broker.StartedEmpty)
                system.ClearedState = ClearServiceState(state, options.ReplicaDirs.Count);
            system.CreateServices(state, interfaceUser, clientUser);
            await system.StartServicesAsync(cancellationToken);
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
        return system;
    }

    /// <summary>Service state dirs removed at start because the broker's stream began anew (see <see cref="ClearServiceState"/>).</summary>
    public IReadOnlyList<string> ClearedState { get; private set; } = [];

    /// <summary>
    /// Every saved offset (the Interface's event log and index, each client's applied offset) and the watcher's
    /// record of what it sent refer to one stream. A broker without data has a new, empty stream whose offsets
    /// start again at 0: kept, that state would skip the new events as already seen. So it goes; the watcher
    /// then sends the master again and each client reconciles from a snapshot, fetching only what differs.
    /// </summary>
    private static List<string> ClearServiceState(string state, int clients)
    {
        var cleared = new List<string>();
        foreach (var name in new[] { "interface", "watcher" }.Concat(Enumerable.Range(0, clients).Select(ClientName)))
        {
            var dir = Path.Combine(state, name);
            if (!Directory.Exists(dir))
                continue;
            Directory.Delete(dir, recursive: true);
            cleared.Add(dir);
        }
        return cleared;
    }

    private static string ClientName(int index) => $"client-{index + 1}";

    private void CreateServices(string state, BrokerUser interfaceUser, BrokerUser clientUser)
    {
        var logs = Path.Combine(state, "logs");
        _state = state;
        _clientUser = clientUser;
        var interfacePort = Options.InterfacePort == 0 ? LocalPorts.Free() : Options.InterfacePort;
        var interfaceUrl = $"http://127.0.0.1:{interfacePort}";

        var interfaceEnvironment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__" + WireNames.RabbitConnection] = interfaceUser.AmqpUri(Broker.Port),
            ["Interface__WatcherToken"] = WatcherToken,
            ["Interface__ClientToken"] = ClientToken,
            ["Interface__DataDir"] = Path.Combine(state, "interface"),
            // The status page links each file of the master tree to nginx.
            ["Interface__Live__FilesUrl"] = Files.BaseUrl + WireNames.FilesPathPrefix,
        };
        foreach (var (key, value) in Options.InterfaceSettings)
            interfaceEnvironment[key] = value;
        Interface = new ServiceProcess("interface", "Dlopbox.Interface", interfacePort, interfaceEnvironment, logs, Options.Echo);

        Watcher = new ServiceProcess("watcher", "Dlopbox.Watcher", LocalPorts.Free(), new Dictionary<string, string?>
        {
            ["Watcher__MasterDir"] = Path.GetFullPath(Options.MasterDir),
            ["Watcher__StateDir"] = Path.Combine(state, "watcher"),
            ["Watcher__Token"] = WatcherToken,
            ["Watcher__Mode"] = Options.WatcherMode,
            ["services__" + WireNames.InterfaceService + "__http__0"] = interfaceUrl,
        }, logs, Options.Echo);

        foreach (var replica in Options.ReplicaDirs)
            _clients.Add(CreateClient(replica));
        foreach (var service in new[] { Interface, Watcher })
            AddServiceEnvironment(service);
    }

    private ServiceProcess AddServiceEnvironment(ServiceProcess service)
    {
        foreach (var (key, value) in Options.ServiceEnvironment)
            service.Environment[key] = value;
        return service;
    }

    private ServiceProcess CreateClient(string replicaDir)
    {
        var name = ClientName(_clients.Count);
        return AddServiceEnvironment(new ServiceProcess(name, "Dlopbox.Client", LocalPorts.Free(), new Dictionary<string, string?>
        {
            ["ConnectionStrings__" + WireNames.RabbitConnection] = ClientRabbitUri,
            ["Client__ReplicaDir"] = Path.GetFullPath(replicaDir),
            ["Client__StateDir"] = Path.Combine(_state, name),
            ["Client__Name"] = name,
            ["Client__Token"] = ClientToken,
            ["services__" + WireNames.InterfaceService + "__http__0"] = Interface.Url,
            ["services__" + WireNames.FilesService + "__http__0"] = Files.BaseUrl,
        }, Path.Combine(_state, "logs"), Options.Echo));
    }

    /// <summary>Starts one more client on a new replica dir (it syncs from a snapshot) and waits until it is ready.</summary>
    public async Task<ServiceProcess> AddClientAsync(string replicaDir, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(replicaDir);
        var client = CreateClient(replicaDir);
        _clients.Add(client);
        client.Start();
        await client.WaitHealthyAsync(Options.StartTimeout, cancellationToken);
        return client;
    }

    private async Task StartServicesAsync(CancellationToken cancellationToken)
    {
        // The Interface declares the stream; clients (read-only users) can only subscribe once it exists.
        Interface.Start();
        await Interface.WaitHealthyAsync(Options.StartTimeout, cancellationToken);
        Watcher.Start();
        foreach (var client in Clients)
            client.Start();
        await Task.WhenAll(Services.Select(s => s.WaitHealthyAsync(Options.StartTimeout, cancellationToken)));
    }

    public async ValueTask DisposeAsync()
    {
        // Producers first, so nothing is mid-flight towards a service that is already gone.
        if (Watcher is not null)
            await Watcher.DisposeAsync();
        await Task.WhenAll(Clients.Select(c => c.DisposeAsync().AsTask()));
        if (Interface is not null)
            await Interface.DisposeAsync();
        await Files.DisposeAsync();
        await Broker.DisposeAsync();
    }
}

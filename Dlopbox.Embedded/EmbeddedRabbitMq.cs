using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dlopbox.Embedded;

/// <summary>
/// A private RabbitMQ node run from the OS package (<c>rabbitmq-server</c>): its own node name, ports,
/// epmd, cookie, data and logs under one dir, no plugins, and only the users it is given (no guest).
/// The server script is run directly, as the current user, so nothing needs the <c>rabbitmq</c> user.
/// </summary>
public sealed class EmbeddedRabbitMq : IAsyncDisposable
{
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string CtlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl";

    private readonly string _dir;
    private readonly Dictionary<string, string?> _environment;
    private IReadOnlyList<BrokerUser> _users = [];
    private LocalProcess? _process;

    private EmbeddedRabbitMq(string dir, int port, int distPort, int epmdPort)
    {
        _dir = dir;
        Port = port;
        EpmdPort = epmdPort;
        // The data lives in mnesia/NAME: a fixed name finds the same stream when a state dir is used again.
        // Names never meet, since every node has an epmd of its own.
        NodeName = "dlopbox@localhost";
        StartedEmpty = !Directory.Exists(Path.Combine(dir, "mnesia", NodeName));
        _environment = new Dictionary<string, string?>
        {
            ["HOME"] = dir, // the Erlang cookie lives here, private to this node
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(),
            ["ERL_EPMD_PORT"] = epmdPort.ToString(),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(dir, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dir, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(dir, "rabbitmq"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(dir, "rabbitmq.pid"),
        };
    }

    public int Port { get; }

    /// <summary>Where the node keeps its data (streams, definitions): what a deployment loses with the broker's volume.</summary>
    public string DataDir => Path.Combine(_dir, "mnesia");

    public int EpmdPort { get; }

    public string NodeName { get; }

    /// <summary>The node had no data in its dir when it was first started here: its stream begins at offset 0.</summary>
    public bool StartedEmpty { get; }

    public static bool IsInstalled => File.Exists(ServerScript);

    /// <summary>Writes the node's config and definitions, starts it and waits for its AMQP port.</summary>
    public static async Task<EmbeddedRabbitMq> StartAsync(string dir, IReadOnlyList<BrokerUser> users, bool echo, CancellationToken cancellationToken)
    {
        if (!IsInstalled)
            throw new InvalidOperationException($"{ServerScript} is missing: install Debian's rabbitmq-server package.");
        var node = new EmbeddedRabbitMq(Path.GetFullPath(dir), LocalPorts.Free(), LocalPorts.Free(), LocalPorts.Free());
        await node.StartAsync(users, echo, cancellationToken);
        return node;
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Starts the node again after <see cref="StopAsync"/> (for fault tests): same dir, node name, ports
    /// and users, so the stream and its messages are still there and clients reconnect to the same URI.
    /// </summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        if (IsRunning)
            throw new InvalidOperationException($"{NodeName} is already running.");
        if (_process is not null)
            await _process.DisposeAsync();
        _process = null;
        await StartAsync(_users, echo: false, cancellationToken);
    }

    private async Task StartAsync(IReadOnlyList<BrokerUser> users, bool echo, CancellationToken cancellationToken)
    {
        _users = users;
        Directory.CreateDirectory(Path.Combine(_dir, "mnesia"));
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "enabled_plugins"), "[].\n", cancellationToken);
        var definitions = Path.Combine(_dir, "definitions.json");
        await File.WriteAllTextAsync(definitions, Definitions(users), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "rabbitmq.conf"), $"""
            listeners.tcp.default = 127.0.0.1:{Port}
            load_definitions = {definitions}
            log.file.level = warning
            log.console = false
            """, cancellationToken);

        _process = LocalProcess.Start("rabbitmq", ServerScript, [], _environment, Path.Combine(_dir, "server.out"), echo);
        try
        {
            await LocalPorts.WaitOpenAsync(Port, TimeSpan.FromSeconds(60), () => !_process.HasExited, cancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private static string Definitions(IReadOnlyList<BrokerUser> users) => new JsonObject
    {
        ["users"] = new JsonArray(users.Select(u => (JsonNode)new JsonObject
        {
            ["name"] = u.Name,
            ["password_hash"] = u.PasswordHash(),
            ["hashing_algorithm"] = "rabbit_password_hashing_sha256",
            ["tags"] = new JsonArray(),
        }).ToArray()),
        ["vhosts"] = new JsonArray(new JsonObject { ["name"] = "/" }),
        ["permissions"] = new JsonArray(users.Select(u => (JsonNode)new JsonObject
        {
            ["user"] = u.Name,
            ["vhost"] = "/",
            ["configure"] = u.Configure,
            ["write"] = u.Write,
            ["read"] = u.Read,
        }).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Runs rabbitmqctl against this node (e.g. <c>list_queues</c>); returns its output.</summary>
    public async Task<string> CtlAsync(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(CtlScript)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(NodeName);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in _environment)
            start.Environment[key] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} failed: {await error}");
    }

    /// <summary>Stops the node (the whole Erlang VM) and the epmd it started; <see cref="StartAgainAsync"/> brings it back.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            try
            {
                await CtlAsync("shutdown").WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception)
            {
                // Shutdown through rabbitmqctl failed; signals below still stop it.
            }
            await _process.StopAsync(TimeSpan.FromSeconds(10));
        }
        await KillEpmdAsync();
    }

    private async Task KillEpmdAsync()
    {
        try
        {
            using var epmd = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("epmd", ["-port", EpmdPort.ToString(), "-kill"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (epmd is not null)
                await epmd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // epmd is gone already, or was never started.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_process is not null)
            await _process.DisposeAsync();
        _process = null;
    }
}

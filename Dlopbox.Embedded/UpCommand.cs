using System.Runtime.InteropServices;

namespace Dlopbox.Embedded;

/// <summary>
/// <c>up</c>: runs the whole system until Ctrl-C or SIGTERM, then stops every process it started.
/// Prints one line containing <c>ready</c> once a change in the master would reach the replicas.
/// </summary>
public static class UpCommand
{
    public const string Usage = """
        usage: dlopbox up [--master DIR] [--replica DIR]... [--state DIR] [--port N] [--polling] [--quiet]

          --master DIR    the dir to mirror (default: .dlopbox/master in the repo)
          --replica DIR   a replica dir; repeat for several replicas (default: .dlopbox/replica)
          --state DIR     broker data, service state and logs (default: .dlopbox/state)
          --port N        port of the Interface (default: 5000, or a free one if 5000 is taken)
          --polling       watch the master by polling (for file systems without inotify events)
          --quiet         do not echo the services' logs (they stay in the state dir's logs/)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        string? master = null, state = null;
        var replicas = new List<string>();
        int? port = null;
        var polling = false;
        var quiet = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--master": master = Value(); break;
                case "--replica": replicas.Add(Value()); break;
                case "--state": state = Value(); break;
                case "--port": port = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--polling": polling = true; break;
                case "--quiet": quiet = true; break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var home = Path.Combine(RepoLayout.Root, ".dlopbox");
        master = Path.GetFullPath(master ?? Path.Combine(home, "master"));
        if (replicas.Count == 0)
            replicas.Add(Path.Combine(home, "replica"));
        replicas = replicas.Select(r => Path.GetFullPath(r)).ToList();
        state = Path.GetFullPath(state ?? Path.Combine(home, "state"));
        foreach (var replica in replicas)
        {
            if (replica.StartsWith(master + "/", StringComparison.Ordinal) || master.StartsWith(replica + "/", StringComparison.Ordinal) || replica == master)
                throw new ArgumentException($"the replica {replica} and the master {master} must not contain each other");
        }
        if (port is null)
        {
            port = LocalPorts.IsFree(5000) ? 5000 : LocalPorts.Free();
            if (port != 5000)
                Console.WriteLine($"port 5000 is taken; the Interface uses {port}");
        }

        using var stop = new CancellationTokenSource();
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        Console.WriteLine($"dlopbox: starting RabbitMQ, nginx, interface, watcher and {replicas.Count} client(s)");
        Console.WriteLine($"  master:  {master}");
        foreach (var replica in replicas)
            Console.WriteLine($"  replica: {replica}");

        EmbeddedSystem system;
        try
        {
            system = await EmbeddedSystem.StartAsync(new EmbeddedSystemOptions
            {
                MasterDir = master,
                ReplicaDirs = replicas,
                StateDir = state,
                InterfacePort = port.Value,
                WatcherMode = polling ? "Polling" : "Inotify",
                Echo = !quiet,
            }, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("dlopbox: stopped before it was ready");
            return 130;
        }

        await using (system)
        {
            if (system.ClearedState.Count > 0)
                Console.WriteLine($"  new broker data: cleared the state of an earlier run ({string.Join(", ", system.ClearedState)}); the replicas reconcile from a snapshot");
            Console.WriteLine($"  status page: {system.Interface.Url}/   (live feed, replicas, history, master tree)");
            Console.WriteLine($"  interface: {system.Interface.Url}   files: {system.Files.BaseUrl}/files/   logs: {Path.Combine(state, "logs")}");
            // The clients' broker user may only read the stream; its password lives as long as this run.
            Console.WriteLine($"  one more replica: ./dlopbox client --rabbit {system.ClientRabbitUri} --interface {system.Interface.Url} --files {system.Files.BaseUrl} --token {system.ClientToken} --replica DIR --name NAME");
            Console.WriteLine($"dlopbox ready: changes in {master} now reach {string.Join(", ", replicas)} (Ctrl-C stops)");
            try
            {
                await Task.WhenAny(
                    Task.Delay(Timeout.Infinite, stop.Token),
                    Task.WhenAll(system.Services.Select(s => WaitExitAsync(s, stop.Token))));
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or SIGTERM.
            }
            Console.WriteLine("dlopbox: stopping");
        }
        Console.WriteLine("dlopbox: stopped");
        return 0;

        static async Task WaitExitAsync(ServiceProcess service, CancellationToken stopping)
        {
            while (service.IsRunning)
                await Task.Delay(500, stopping);
            Console.WriteLine($"dlopbox: {service.Name} exited; see {service.LogFile}");
        }
    }
}

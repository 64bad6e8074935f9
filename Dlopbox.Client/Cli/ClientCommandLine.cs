using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Dlopbox.Client.Cli;

/// <summary>
/// <c>dlopbox-client [options]</c> runs the client; <c>dlopbox-client status [options]</c> says where a replica stands.
/// Every option is also a configuration key (environment variable, appsettings.json), and the command line wins;
/// with no options at all the client runs from configuration alone, exactly as the embedded runner, Aspire, docker
/// and Kubernetes start it. Other settings pass as <c>--Section:Key=value</c>, as .NET's own command-line configuration.
/// </summary>
internal sealed class ClientCommandLine
{
    public const string CommandName = "dlopbox-client";

    private readonly Option<string> _rabbit = new(ClientFlags.Rabbit)
    {
        HelpName = "URI",
        Description = $"The broker, as amqp://USER:PASSWORD@HOST:5672/ of a user that may read the stream. [env: {ClientSettings.EnvironmentName(ClientSettings.RabbitKey)}]",
    };

    private readonly Option<string> _interface = new(ClientFlags.Interface)
    {
        HelpName = "URL",
        Description = $"The Interface's base URL: snapshots come from URL/snapshot, progress goes to URL/clients/NAME. [env: {ClientSettings.EnvironmentName(ClientSettings.InterfaceKey)}]",
    };

    private readonly Option<string> _files = new(ClientFlags.Files)
    {
        HelpName = "URL",
        Description = $"nginx's base URL: file contents come from URL/files/PATH (a URL ending in /files/ is taken as well). [env: {ClientSettings.EnvironmentName(ClientSettings.FilesKey)}]",
    };

    private readonly Option<string> _replica = new(ClientFlags.Replica)
    {
        HelpName = "DIR",
        Description = $"The replica dir, kept equal to the master; created when missing. Whatever the master does not have is deleted from it. [env: {ClientSettings.EnvironmentName(ClientSettings.ReplicaKey)}]",
    };

    private readonly Option<string> _state = NewStateOption();

    private readonly Option<string> _name = NewNameOption();

    private readonly Option<string> _token = new(ClientFlags.Token)
    {
        HelpName = "TOKEN",
        Description = $"The bearer token for progress reports: the Interface's Interface__ClientToken (prefer the environment variable: a command line shows in ps). [env: {ClientSettings.EnvironmentName(ClientSettings.TokenKey)}]",
    };

    private readonly Option<string> _urls = new(ClientFlags.Urls)
    {
        HelpName = "URLS",
        Description = "Where /health and /alive listen (default http://127.0.0.1:5002; a second client on one machine needs another port, http://127.0.0.1:0 takes any free one). [env: Urls]",
    };

    private readonly Option<string> _statusState = NewStateOption();

    private readonly Option<string> _statusInterface = new(ClientFlags.Interface)
    {
        HelpName = "URL",
        Description = $"The Interface to ask for the stream head and this client's last report; skipped when unset. [env: {ClientSettings.EnvironmentName(ClientSettings.InterfaceKey)}]",
    };

    private readonly Option<string> _statusName = NewNameOption();

    private readonly string[] _configArguments;

    private ClientCommandLine(string[] configArguments)
    {
        _configArguments = configArguments;
        AddUrlCheck(_interface, allowFilesSuffix: false);
        AddUrlCheck(_files, allowFilesSuffix: true);
        AddUrlCheck(_statusInterface, allowFilesSuffix: false);
        AddNameCheck(_name);
        AddNameCheck(_statusName);

        var status = new Command("status", "Print where this replica stands: its applied offset and phase from the state dir, and, when the Interface answers within 2 s, the stream head, its lag and when it last reported.")
        {
            _statusState,
            _statusInterface,
            _statusName,
        };
        status.SetAction((parse, cancellationToken) => StatusCommand.RunAsync(
            new StatusArguments(parse.GetValue(_statusState), parse.GetValue(_statusInterface), parse.GetValue(_statusName)),
            _configArguments, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));

        Root = new RootCommand("Keeps a replica dir equal to the dlopbox master: a snapshot first, then every change from the event stream. "
            + "Each option can also be set by the environment variable shown with it, or in appsettings.json; the command line wins.")
        {
            _rabbit,
            _interface,
            _files,
            _replica,
            _state,
            _name,
            _token,
            _urls,
            status,
        };
        Root.HelpName = CommandName;
        Root.SetAction((parse, _) => RunClientAsync(parse));
        SetHelp(Root, new Dictionary<Command, string> { [Root] = RunExamples, [status] = StatusExamples });
    }

    public RootCommand Root { get; }

    private const string RunExamples = """
        Examples:
          dlopbox-client --rabbit amqp://dlopbox-client:SECRET@127.0.0.1:5672/ --interface http://127.0.0.1:5000 \
                         --files http://127.0.0.1:8080 --replica ~/mirror --name laptop
          dlopbox-client status --name laptop

          # the same from the environment, as Aspire, docker and Kubernetes set it:
          ConnectionStrings__rabbit=amqp://… services__interface__http__0=http://127.0.0.1:5000 \
          services__nginx__http__0=http://127.0.0.1:8080 Client__ReplicaDir=~/mirror Client__Name=laptop \
          Client__Token=… dlopbox-client

        Other settings: --Section:Key=value or the environment variable Section__Key, e.g.
          --Client:MaxParallelDownloads=4   --Client:ReportInterval=00:00:05   --Client:ProgressDisplay=Lines
          --Logging:LogLevel:Default=Debug

        The initial sync shows a progress bar on a terminal and a line every 2 s otherwise. The client reports its
        progress to the Interface (PUT /clients/NAME) and keeps it in STATE/status.json for 'dlopbox-client status'.
        Exit codes: 0 stopped cleanly (SIGTERM, Ctrl-C), 1 failed, 2 bad options or settings.
        """;

    private const string StatusExamples = """
        Examples:
          dlopbox-client status                       # this machine's client (name: the host name)
          dlopbox-client status --name laptop --interface http://127.0.0.1:5000
          dlopbox-client status --state /var/lib/dlopbox/client

        Exit codes: 0 the status was printed (also when there is no state yet or the Interface is down), 2 bad options.
        """;

    /// <summary>Parses and runs <paramref name="args"/>; <paramref name="output"/> and <paramref name="error"/> default to the console.</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var (optionArguments, configArguments) = SplitConfigArguments(args);
        var commandLine = new ClientCommandLine(configArguments);
        var parse = commandLine.Root.Parse(optionArguments);
        error ??= Console.Error;
        // One line per problem, no help dump and no stack trace.
        if (parse.Action is ParseErrorAction)
            return ClientHost.Refuse(error, parse.Errors.Select(problem => problem.Message));
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error,
            // The host handles SIGTERM/SIGINT itself, with its graceful shutdown; System.CommandLine must not
            // race it (its own handler would end the process after a timeout).
            ProcessTerminationTimeout = null,
        }, cancellationToken);
    }

    /// <summary>
    /// Splits off <c>--Section:Key=value</c> and <c>--Section:Key value</c>: .NET's command-line configuration, as the
    /// client always accepted it, passed to the host untouched rather than refused as unknown options.
    /// </summary>
    internal static (string[] Options, string[] Config) SplitConfigArguments(string[] args)
    {
        var options = new List<string>();
        var config = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                options.AddRange(args[i..]);
                break;
            }
            var key = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..].Split('=', 2)[0] : "";
            if (!key.Contains(':'))
            {
                options.Add(arg);
                continue;
            }
            config.Add(arg);
            if (!arg.Contains('=') && i + 1 < args.Length)
                config.Add(args[++i]);
        }
        return (options.ToArray(), config.ToArray());
    }

    private Task<int> RunClientAsync(ParseResult parse)
    {
        var commandLine = ClientSettings.ToConfiguration(new ClientArguments
        {
            Rabbit = parse.GetValue(_rabbit),
            Interface = parse.GetValue(_interface),
            Files = parse.GetValue(_files),
            Replica = parse.GetValue(_replica),
            State = parse.GetValue(_state),
            Name = parse.GetValue(_name),
            Token = parse.GetValue(_token),
            Urls = parse.GetValue(_urls),
        });
        return ClientHost.RunAsync(ClientHost.CreateBuilder(_configArguments, commandLine), parse.InvocationConfiguration.Error);
    }

    private static Option<string> NewStateOption() => new(ClientFlags.State)
    {
        HelpName = "DIR",
        Description = $"Where the applied offset and status.json are kept; must lie outside the replica. Default: $XDG_STATE_HOME/dlopbox/NAME, else ~/.local/state/dlopbox/NAME. [env: {ClientSettings.EnvironmentName(ClientSettings.StateKey)}]",
    };

    private static Option<string> NewNameOption() => new(ClientFlags.Name)
    {
        HelpName = "NAME",
        Description = $"This client's name in the broker, the logs and its progress reports: {Contracts.ClientNames.Rule}. Default: the host name. [env: {ClientSettings.EnvironmentName(ClientSettings.NameKey)}]",
    };

    private static void AddUrlCheck(Option<string> option, bool allowFilesSuffix)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is null)
                return;
            var url = allowFilesSuffix ? ClientSettings.FilesBaseUrl(value) : value.TrimEnd('/');
            if (!ClientSettings.IsHttpUrl(url))
                result.AddError($"{option.Name} must be an http:// or https:// URL: '{value}'.");
            else if (!ClientSettings.IsBaseUrl(url))
                result.AddError($"{option.Name} must be the server's base URL, without a path: '{value}'.");
        });
    }

    private static void AddNameCheck(Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } name && !Contracts.ClientNames.IsValid(name))
                result.AddError($"{option.Name} must be {Contracts.ClientNames.Rule} (it is part of a URL): '{name}'.");
        });
    }

    /// <summary>
    /// The usual help, then the examples and notes System.CommandLine has no section for. The root's help option
    /// serves its subcommands too, so the epilogue is picked by the command asked about.
    /// </summary>
    private static void SetHelp(RootCommand root, Dictionary<Command, string> epilogues)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
            help.Action = new HelpWithExamples(help.Action as HelpAction ?? new HelpAction(), epilogues);
    }

    private sealed class HelpWithExamples(HelpAction help, Dictionary<Command, string> epilogues) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            help.Invoke(parseResult);
            if (epilogues.TryGetValue(parseResult.CommandResult.Command, out var epilogue))
                parseResult.InvocationConfiguration.Output.WriteLine(epilogue);
            return ExitCodes.Success;
        }
    }
}

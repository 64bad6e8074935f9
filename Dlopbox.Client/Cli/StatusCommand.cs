using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Dlopbox.Client.State;
using Dlopbox.Client.Terminal;
using Dlopbox.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Dlopbox.Client.Cli;

internal sealed record StatusArguments(string? State, string? Interface, string? Name);

/// <summary>What the Interface said about this client, or why it said nothing.</summary>
internal sealed record InterfaceAnswer(ClientStatus? Client, long? HeadOffset, string? Problem);

/// <summary>
/// <c>dlopbox-client status</c>: where a replica stands, from its state dir (the saved offset; <c>status.json</c>,
/// which a running client rewrites every few seconds) and, when it answers in time, from the Interface (the stream
/// head, the client's lag and when it last reported). Reads only; works whether the client runs or not.
/// </summary>
internal static class StatusCommand
{
    internal static readonly TimeSpan InterfaceTimeout = TimeSpan.FromSeconds(2);

    public static Task<int> RunAsync(StatusArguments arguments, string[] configArguments, TextWriter output, TextWriter error,
        CancellationToken cancellationToken) =>
        RunAsync(BuildConfiguration(arguments, configArguments), CreateConsole(output), error, TimeProvider.System, handler: null, cancellationToken);

    /// <summary>The same sources the client reads (appsettings.json, environment, <c>--Section:Key=value</c>), then the options.</summary>
    internal static IConfiguration BuildConfiguration(StatusArguments arguments, string[] configArguments)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environments.Production;
        var configuration = new ConfigurationManager();
        configuration.SetBasePath(ClientHost.ContentRoot)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(configArguments);
        ClientSettings.Apply(configuration, ClientSettings.ToConfiguration(new ClientArguments
        {
            State = arguments.State,
            Interface = arguments.Interface,
            Name = arguments.Name,
        }));
        return configuration;
    }

    internal static async Task<int> RunAsync(IConfiguration configuration, IAnsiConsole console, TextWriter error, TimeProvider time,
        HttpMessageHandler? handler, CancellationToken cancellationToken)
    {
        var name = configuration[ClientSettings.NameKey] is { Length: > 0 } configured ? configured : Environment.MachineName;
        if (!ClientNames.IsValid(name))
            return await UsageAsync(error, $"{ClientFlags.Name} ({ClientSettings.EnvironmentName(ClientSettings.NameKey)}) must be {ClientNames.Rule}: '{name}'.");
        if (configuration[ClientSettings.StateKey] is not { Length: > 0 } stateDir)
            return await UsageAsync(error, $"{ClientFlags.State} ({ClientSettings.EnvironmentName(ClientSettings.StateKey)}) is required: there is no home dir for the default.");
        var interfaceUrl = ClientSettings.ServiceUrl(configuration, WireNames.InterfaceService);
        if (interfaceUrl is not null && !ClientSettings.IsHttpUrl(interfaceUrl))
            return await UsageAsync(error, $"{ClientFlags.Interface} ({ClientSettings.EnvironmentName(ClientSettings.InterfaceKey)}) must be an http:// or https:// URL: '{interfaceUrl}'.");
        var reportInterval = configuration.GetValue($"{ClientOptions.Section}:{nameof(ClientOptions.ReportInterval)}", new ClientOptions().ReportInterval);

        stateDir = Path.GetFullPath(stateDir);
        var store = new ClientStateStore(Options.Create(new ClientOptions { StateDir = stateDir }), time, NullLogger<ClientStateStore>.Instance);
        var saved = await store.LoadAsync(cancellationToken);
        var status = await new ClientStatusStore(stateDir).LoadAsync(cancellationToken);
        var remote = interfaceUrl is null ? null : await AskInterfaceAsync(interfaceUrl, name, handler, cancellationToken);

        console.Write(Render(name, stateDir, saved, status, interfaceUrl, remote, reportInterval, time.GetUtcNow(), console.Profile.Capabilities.Ansi));
        return ExitCodes.Success;
    }

    internal static Table Render(string name, string stateDir, ClientState? saved, ClientStatusFile? status, string? interfaceUrl,
        InterfaceAnswer? remote, TimeSpan reportInterval, DateTimeOffset now, bool fancy)
    {
        var table = new Table().HideHeaders()
            .AddColumn(new TableColumn("what") { Padding = fancy ? new Padding(1, 0) : new Padding(0, 0, 2, 0) })
            .AddColumn(new TableColumn("value") { Padding = fancy ? new Padding(1, 0) : new Padding(0) });
        table.Border = fancy ? TableBorder.Rounded : TableBorder.None;
        void Row(string what, string value) => table.AddRow(new Text(what), new Text(value));
        string Ago(DateTimeOffset at) => ProgressFormat.Age(now - at);

        Row("client", name);
        Row("state dir", Directory.Exists(stateDir) ? stateDir : $"{stateDir} (does not exist)");
        Row("applied offset", saved is null
            ? "none yet: no sync has completed with this state dir"
            : string.Create(CultureInfo.InvariantCulture, $"{saved.Offset} (saved {Ago(saved.SavedAt)})"));

        if (status is null)
        {
            Row("phase", "unknown: no status.json yet (the client has not run with this state dir)");
        }
        else
        {
            // A running client rewrites the file every report interval; one much older means it stopped.
            var stale = now - status.UpdatedAt > TimeSpan.FromTicks(Math.Max(3 * reportInterval.Ticks, TimeSpan.FromSeconds(10).Ticks));
            Row("phase", $"{PhaseName(status.Phase)} (updated {Ago(status.UpdatedAt)}{(stale ? "; not since, so the client is probably not running" : "")})");
            if (status.StartedAt is { } started)
                Row("started", Ago(started));
            if (status.Reconcile is { } reconcile)
                Row("initial sync", $"{reconcile.FilesDone}/{reconcile.FilesTotal} files, {ProgressFormat.Bytes(reconcile.BytesDone)}/{ProgressFormat.Bytes(reconcile.BytesTotal)}");
            if (status.Repaired > 0)
                Row("local changes put back", status.Repaired.ToString(CultureInfo.InvariantCulture));
            Row("last error", status.LastError is { } message ? $"{message} ({Ago(status.LastErrorAt ?? status.UpdatedAt)})" : "none");
        }

        if (interfaceUrl is null || remote is null)
        {
            Row("interface", $"not configured (--interface or {ClientSettings.EnvironmentName(ClientSettings.InterfaceKey)}): no stream head, lag or last report");
            return table;
        }
        Row("interface", remote.Problem is { } problem ? $"{interfaceUrl}: {problem}" : interfaceUrl);
        if (remote.HeadOffset is { } head)
            Row("stream head", head.ToString(CultureInfo.InvariantCulture));
        if (remote.Client is { } client)
        {
            var lagEvents = client.LagEvents is { } events ? events.ToString(CultureInfo.InvariantCulture) + " events" : "unknown events";
            Row("lag", string.Create(CultureInfo.InvariantCulture, $"{lagEvents}, {client.Progress.LagSeconds:0.0} s"));
            Row("last seen", $"{Ago(client.LastSeen)} (phase {PhaseName(client.Progress.Phase)}, applied offset {client.Progress.AppliedOffset})");
        }
        else if (remote.Problem is null)
        {
            Row("last seen", "never: the Interface has no report from this client");
        }
        return table;
    }

    /// <summary>
    /// <c>GET /clients</c> within <see cref="InterfaceTimeout"/>: the stream head and this client's row come from one
    /// answer, so the lag shown agrees with the head shown.
    /// </summary>
    internal static async Task<InterfaceAnswer> AskInterfaceAsync(string interfaceUrl, string name, HttpMessageHandler? handler, CancellationToken cancellationToken)
    {
        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = new Uri(interfaceUrl.TrimEnd('/') + "/");
        http.Timeout = InterfaceTimeout;
        try
        {
            var overview = await http.GetFromJsonAsync(WireNames.ClientsRoute.TrimStart('/'), DlopboxJsonContext.Default.ClientsOverview, cancellationToken);
            return new InterfaceAnswer(overview?.Clients.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal)), overview?.HeadOffset, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            var reason = ex switch
            {
                TaskCanceledException => $"no answer within {InterfaceTimeout.TotalSeconds:0} s",
                HttpRequestException { StatusCode: { } code } => $"answered {(int)code} {code}",
                HttpRequestException { InnerException: { } inner } => inner.Message,
                _ => ex.Message,
            };
            return new InterfaceAnswer(null, null, $"not reachable ({reason})");
        }
    }

    private static string PhaseName(ClientPhase phase) => phase.ToString().ToLowerInvariant();

    private static async Task<int> UsageAsync(TextWriter error, string problem)
    {
        await error.WriteLineAsync($"{ClientCommandLine.CommandName} status: {problem}");
        return ExitCodes.Usage;
    }

    /// <summary>Colours and a rounded box on a terminal; plain aligned text when redirected (scripts, files, CI).</summary>
    internal static IAnsiConsole CreateConsole(TextWriter output)
    {
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = terminal ? new AnsiConsoleOutput(output) : new PlainOutput(output),
        });
    }

    /// <summary>
    /// A redirected stdout: no terminal, and wide, so long paths and errors stay on one greppable line. Spectre pads
    /// every cell to its column's width; the padding at line ends is dropped.
    /// </summary>
    private sealed class PlainOutput(TextWriter writer) : IAnsiConsoleOutput
    {
        public TextWriter Writer { get; } = new TrailingSpaceTrimmer(writer);

        public bool IsTerminal => false;

        public int Width => 240;

        public int Height => 24;

        public void SetEncoding(System.Text.Encoding encoding)
        {
        }
    }

    private sealed class TrailingSpaceTrimmer(TextWriter inner) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (value != '\n')
            {
                _line.Append(value);
                return;
            }
            inner.Write(_line.ToString().TrimEnd(' '));
            inner.Write('\n');
            _line.Clear();
        }

        public override void Flush()
        {
            inner.Write(_line.ToString());
            _line.Clear();
            inner.Flush();
        }
    }
}

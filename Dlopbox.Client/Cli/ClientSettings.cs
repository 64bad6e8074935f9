using Dlopbox.Contracts;

namespace Dlopbox.Client.Cli;

/// <summary>What the command line said; null where it said nothing, so configuration decides.</summary>
internal sealed record ClientArguments
{
    public string? Rabbit { get; init; }

    public string? Interface { get; init; }

    public string? Files { get; init; }

    public string? Replica { get; init; }

    public string? State { get; init; }

    public string? Name { get; init; }

    public string? Token { get; init; }

    public string? Urls { get; init; }
}

/// <summary>
/// Where each command-line option goes in the configuration every other way of running already uses
/// (environment variables, appsettings.json, Aspire): the options are mapped onto those keys in a source added
/// last, so the command line wins and everything downstream reads configuration only.
/// </summary>
internal static class ClientSettings
{
    public const string RabbitKey = "ConnectionStrings:" + WireNames.RabbitConnection;
    public const string InterfaceKey = "services:" + WireNames.InterfaceService + ":http:0";
    public const string FilesKey = "services:" + WireNames.FilesService + ":http:0";
    public const string ReplicaKey = ClientOptions.Section + ":" + nameof(ClientOptions.ReplicaDir);
    public const string StateKey = ClientOptions.Section + ":" + nameof(ClientOptions.StateDir);
    public const string NameKey = ClientOptions.Section + ":" + nameof(ClientOptions.Name);
    public const string TokenKey = ClientOptions.Section + ":" + nameof(ClientOptions.Token);
    public const string UrlsKey = "urls";

    /// <summary>The environment variable that sets <paramref name="key"/> (<c>:</c> becomes <c>__</c>).</summary>
    public static string EnvironmentName(string key) => key == UrlsKey ? "Urls" : key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>The configuration the command line adds, by key; only what it was given.</summary>
    public static Dictionary<string, string?> ToConfiguration(ClientArguments arguments)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Set(RabbitKey, arguments.Rabbit);
        Set(InterfaceKey, arguments.Interface?.TrimEnd('/'));
        Set(FilesKey, arguments.Files is { } files ? FilesBaseUrl(files) : null);
        Set(ReplicaKey, ExpandHome(arguments.Replica));
        Set(StateKey, ExpandHome(arguments.State));
        Set(NameKey, arguments.Name);
        Set(TokenKey, arguments.Token);
        Set(UrlsKey, arguments.Urls);
        return values;

        void Set(string key, string? value)
        {
            if (value is not null)
                values[key] = value;
        }
    }

    /// <summary>
    /// Adds the command line's values over everything else, then the default state dir when nothing set one.
    /// <paramref name="environment"/> reads environment variables (XDG_STATE_HOME, HOME); tests pass their own.
    /// </summary>
    public static void Apply(IConfigurationManager configuration, IReadOnlyDictionary<string, string?> commandLine,
        Func<string, string?>? environment = null)
    {
        configuration.AddInMemoryCollection(commandLine);
        if (!string.IsNullOrWhiteSpace(configuration[StateKey]))
            return;
        var name = configuration[NameKey] is { Length: > 0 } configured ? configured : Environment.MachineName;
        if (DefaultStateDir(name, environment ?? Environment.GetEnvironmentVariable) is { } stateDir)
            configuration.AddInMemoryCollection([new(StateKey, stateDir)]);
    }

    /// <summary>
    /// <c>$XDG_STATE_HOME/dlopbox/NAME</c>, else <c>~/.local/state/dlopbox/NAME</c> (the XDG base-directory spec's
    /// place for state that outlives a run but is not worth backing up); null without a home. One dir per name, so
    /// several clients on one machine never share an offset.
    /// </summary>
    public static string? DefaultStateDir(string name, Func<string, string?> environment)
    {
        // An invalid name stops the start with its own message; it must not become a path meanwhile.
        var leaf = ClientNames.IsValid(name) ? name : "client";
        if (environment("XDG_STATE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "dlopbox", leaf);
        if (environment("HOME") is { Length: > 0 } home && Path.IsPathRooted(home))
            return Path.Combine(home, ".local", "state", "dlopbox", leaf);
        return null;
    }

    /// <summary>
    /// Every problem with the settings that would stop the client, one line each, naming the option and its
    /// environment variable: empty when it can start.
    /// </summary>
    public static List<string> Check(IConfiguration configuration)
    {
        var problems = new List<string>();
        var rabbit = configuration[RabbitKey];
        if (string.IsNullOrWhiteSpace(rabbit))
            problems.Add($"{ClientFlags.Rabbit} ({EnvironmentName(RabbitKey)}) is required: the broker's amqp://user:password@host:5672/ URI.");
        else if (!Uri.TryCreate(rabbit, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            // Not echoed: the URI holds a password.
            problems.Add($"{ClientFlags.Rabbit} ({EnvironmentName(RabbitKey)}) must be an amqp:// or amqps:// URI.");

        CheckService(configuration, WireNames.InterfaceService, ClientFlags.Interface, InterfaceKey, "the Interface's URL, e.g. http://127.0.0.1:5000", problems);
        CheckService(configuration, WireNames.FilesService, ClientFlags.Files, FilesKey, "nginx's URL, e.g. http://127.0.0.1:8080", problems);

        ClientOptions options;
        try
        {
            options = configuration.GetSection(ClientOptions.Section).Get<ClientOptions>() ?? new ClientOptions();
        }
        catch (InvalidOperationException ex)
        {
            // A value the binder cannot convert, e.g. Client__ReportInterval=fast.
            problems.Add(ex.Message);
            return problems;
        }
        var result = new ClientOptionsValidator().Validate(null, options);
        if (result.Failed)
            problems.AddRange(result.Failures.Select(ClientFlags.InOptionTerms));
        return problems;
    }

    /// <summary>An http(s) URL for <paramref name="service"/> from any of the keys service discovery reads (<c>services:NAME:http:0</c>, <c>…:https:0</c>).</summary>
    public static string? ServiceUrl(IConfiguration configuration, string service) =>
        configuration.GetSection($"services:{service}").AsEnumerable(makePathsRelative: true)
            .Where(entry => !string.IsNullOrWhiteSpace(entry.Value))
            .OrderBy(entry => entry.Key == "http:0" ? 0 : entry.Key == "https:0" ? 1 : 2)
            .Select(entry => entry.Value)
            .FirstOrDefault();

    private static void CheckService(IConfiguration configuration, string service, string option, string key, string what, List<string> problems)
    {
        var url = ServiceUrl(configuration, service);
        if (url is null)
            problems.Add($"{option} ({EnvironmentName(key)}) is required: {what}.");
        else if (!IsHttpUrl(url))
            problems.Add($"{option} ({EnvironmentName(key)}) must be an http:// or https:// URL: '{url}'.");
    }

    public static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host);

    /// <summary>
    /// nginx's base URL: the client asks for <c>/files/PATH</c> under it, so a URL the user copied from a browser
    /// (<c>http://host:8080/files/</c>) is taken back to its root.
    /// </summary>
    public static string FilesBaseUrl(string url)
    {
        var trimmed = url.TrimEnd('/');
        var suffix = WireNames.FilesPathPrefix.TrimEnd('/');
        return trimmed.EndsWith(suffix, StringComparison.Ordinal) && IsHttpUrl(trimmed) && new Uri(trimmed).AbsolutePath == suffix
            ? trimmed[..^suffix.Length]
            : trimmed;
    }

    /// <summary>
    /// True when <paramref name="url"/> has no path beyond <c>/</c> (after <see cref="FilesBaseUrl"/>): service
    /// discovery keeps only scheme, host and port, so a path would be silently dropped.
    /// </summary>
    public static bool IsBaseUrl(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && uri.Query.Length == 0;

    /// <summary><c>~</c> and <c>~/x</c> as a shell would have expanded them (it does not in <c>--replica=~/x</c>).</summary>
    public static string? ExpandHome(string? path)
    {
        if (path is null || !(path == "~" || path.StartsWith("~/", StringComparison.Ordinal)))
            return path;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? path : home + path[1..];
    }
}

namespace Dlopbox.Client.Cli;

/// <summary>
/// The command line's option names, and a configuration problem told in their terms: the options classes name
/// configuration keys only (<c>Client:StateDir</c>), the command line names the option that sets each key too.
/// </summary>
internal static class ClientFlags
{
    public const string Rabbit = "--rabbit";
    public const string Interface = "--interface";
    public const string Files = "--files";
    public const string Replica = "--replica";
    public const string State = "--state";
    public const string Name = "--name";
    public const string Token = "--token";
    public const string Urls = "--urls";

    /// <summary>The <see cref="ClientOptions"/> keys an option sets, with that option.</summary>
    private static readonly (string Key, string Flag)[] OptionKeys =
    [
        (ClientSettings.ReplicaKey, Replica),
        (ClientSettings.StateKey, State),
        (ClientSettings.NameKey, Name),
        (ClientSettings.TokenKey, Token),
    ];

    /// <summary>
    /// <paramref name="problem"/> with its leading key, when an option sets it, as that option and its environment
    /// variable: <c>Client:StateDir must …</c> becomes <c>--state (Client__StateDir) must …</c>.
    /// </summary>
    public static string InOptionTerms(string problem)
    {
        foreach (var (key, flag) in OptionKeys)
        {
            if (problem.StartsWith(key + " ", StringComparison.Ordinal))
                return $"{flag} ({ClientSettings.EnvironmentName(key)}){problem[key.Length..]}";
        }
        return problem;
    }
}

namespace Dlopbox.Embedded;

/// <summary>What to run: one master dir, its replicas, and where the processes keep their state and logs.</summary>
public sealed record EmbeddedSystemOptions
{
    public required string MasterDir { get; init; }

    public required IReadOnlyList<string> ReplicaDirs { get; init; }

    /// <summary>Broker data, nginx run dir, service state and logs all go below this dir.</summary>
    public required string StateDir { get; init; }

    /// <summary>Port of the Interface; 0 picks a free one.</summary>
    public int InterfacePort { get; init; }

    /// <summary><c>Inotify</c> or <c>Polling</c>.</summary>
    public string WatcherMode { get; init; } = "Inotify";

    /// <summary>Echo every process's output to the console, prefixed with its name.</summary>
    public bool Echo { get; init; }

    /// <summary>Extra settings for the Interface (e.g. <c>Interface__StreamMaxAge</c>).</summary>
    public IReadOnlyDictionary<string, string?> InterfaceSettings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Extra environment for every service process (e.g. <c>DLOPBOX_TRACE_FILE</c> in the telemetry tests).</summary>
    public IReadOnlyDictionary<string, string?> ServiceEnvironment { get; init; } = new Dictionary<string, string?>();

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);
}

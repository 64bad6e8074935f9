using Microsoft.Extensions.Options;

namespace Dlopbox.Watcher;

/// <summary>How the watcher learns about changes of the master dir.</summary>
internal enum WatchMode
{
    /// <summary>Linux inotify, one watch per directory: changes are seen within milliseconds.</summary>
    Inotify,

    /// <summary>A walk of the tree every <see cref="WatcherOptions.PollInterval"/>, for file systems without inotify.</summary>
    Polling,
}

/// <summary>Configuration section <c>Watcher</c> (environment: <c>Watcher__MasterDir</c> …).</summary>
internal sealed class WatcherOptions
{
    public const string Section = "Watcher";

    /// <summary>The dir that is mirrored; it must exist.</summary>
    public string MasterDir { get; set; } = "";

    /// <summary>Where the watcher keeps what the Interface has acknowledged; created at start, never inside <see cref="MasterDir"/>.</summary>
    public string StateDir { get; set; } = "";

    /// <summary>Bearer token for the Interface's <c>POST /events</c>.</summary>
    public string Token { get; set; } = "";

    public WatchMode Mode { get; set; } = WatchMode.Inotify;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Safety-net full rescan in inotify mode; zero or null disables it.</summary>
    public TimeSpan? RescanInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most events in one <c>POST /events</c>.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>Name of this watcher in every batch it sends.</summary>
    public string Source { get; set; } = Environment.MachineName;

    /// <summary>How long a stopping watcher keeps trying to deliver what is pending.</summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Absolute <see cref="MasterDir"/> without a trailing '/'.</summary>
    public string MasterRoot => Path.TrimEndingDirectorySeparator(Path.GetFullPath(MasterDir));

    /// <summary>Absolute <see cref="StateDir"/> without a trailing '/'.</summary>
    public string StateRoot => Path.TrimEndingDirectorySeparator(Path.GetFullPath(StateDir));
}

/// <summary>Checks <see cref="WatcherOptions"/> at start, so a bad configuration stops the process with a clear message.</summary>
internal sealed class WatcherOptionsValidator : IValidateOptions<WatcherOptions>
{
    public ValidateOptionsResult Validate(string? name, WatcherOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.MasterDir))
            failures.Add("Watcher:MasterDir is required.");
        else if (!Directory.Exists(options.MasterDir))
            failures.Add($"Watcher:MasterDir '{options.MasterDir}' does not exist.");

        if (string.IsNullOrWhiteSpace(options.StateDir))
            failures.Add("Watcher:StateDir is required.");
        else if (!string.IsNullOrWhiteSpace(options.MasterDir) && IsSameOrUnder(options.StateRoot, options.MasterRoot))
            failures.Add($"Watcher:StateDir '{options.StateDir}' must not be inside Watcher:MasterDir (the state file would sync).");

        if (string.IsNullOrWhiteSpace(options.Token))
            failures.Add("Watcher:Token is required (the bearer token of the Interface).");
        if (!Enum.IsDefined(options.Mode))
            failures.Add($"Watcher:Mode must be {WatchMode.Inotify} or {WatchMode.Polling}.");
        if (options.PollInterval <= TimeSpan.Zero)
            failures.Add("Watcher:PollInterval must be positive.");
        if (options.RescanInterval < TimeSpan.Zero)
            failures.Add("Watcher:RescanInterval must not be negative (0 disables it).");
        if (options.MaxBatchSize < 1)
            failures.Add("Watcher:MaxBatchSize must be at least 1.");
        if (string.IsNullOrWhiteSpace(options.Source))
            failures.Add("Watcher:Source must not be empty.");
        if (options.ShutdownDrainTimeout < TimeSpan.Zero)
            failures.Add("Watcher:ShutdownDrainTimeout must not be negative.");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsSameOrUnder(string path, string ancestor) =>
        ancestor == "/" || path == ancestor || path.StartsWith(ancestor + "/", StringComparison.Ordinal);
}

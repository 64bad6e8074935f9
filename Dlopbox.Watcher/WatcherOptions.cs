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

/// <summary>What the watcher does with symbolic links in the master dir; it never follows them either way.</summary>
internal enum SymlinkMode
{
    /// <summary>Sent as links (their target string), so replicas hold the same links.</summary>
    Mirror,

    /// <summary>Left out of the sync, as FIFOs and sockets are.</summary>
    Skip,
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

    /// <summary>
    /// inotify: how long a file that appeared with IN_CREATE alone waits for an IN_MODIFY or IN_CLOSE_WRITE
    /// before it is sent as complete (a linkat'd O_TMPFILE never gets either).
    /// </summary>
    public TimeSpan CreateSettleTime { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>inotify: a file written without being closed (logs, databases) is sent once it had no write for this long.</summary>
    public TimeSpan QuietPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>inotify: and at the latest this long after its first unsent write, even if writes never pause.</summary>
    public TimeSpan MaxWriteDelay { get; set; } = TimeSpan.FromSeconds(5);

    public SymlinkMode Symlinks { get; set; } = SymlinkMode.Mirror;

    /// <summary>
    /// After this long without a delivery an empty batch asks the Interface for the stream's epoch, so a
    /// stream made anew (a broker that lost its data) is noticed, and the master sent again, while idle.
    /// </summary>
    public TimeSpan EpochCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

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
        if (options.CreateSettleTime <= TimeSpan.Zero)
            failures.Add("Watcher:CreateSettleTime must be positive.");
        if (options.QuietPeriod <= TimeSpan.Zero)
            failures.Add("Watcher:QuietPeriod must be positive.");
        if (options.MaxWriteDelay < options.QuietPeriod)
            failures.Add("Watcher:MaxWriteDelay must be at least Watcher:QuietPeriod.");
        if (options.EpochCheckInterval <= TimeSpan.Zero)
            failures.Add("Watcher:EpochCheckInterval must be positive.");
        if (!Enum.IsDefined(options.Symlinks))
            failures.Add($"Watcher:Symlinks must be {SymlinkMode.Mirror} or {SymlinkMode.Skip}.");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsSameOrUnder(string path, string ancestor) =>
        ancestor == "/" || path == ancestor || path.StartsWith(ancestor + "/", StringComparison.Ordinal);
}

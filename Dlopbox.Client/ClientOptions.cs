using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client;

/// <summary>How the initial sync's progress is shown on the console.</summary>
public enum ProgressDisplay
{
    /// <summary>A live bar when stdout is an interactive terminal, else <see cref="Lines"/>.</summary>
    Auto,

    /// <summary>A live bar (Spectre.Console), even when the terminal was not detected.</summary>
    Bar,

    /// <summary>A plain log line every few seconds and one at the end.</summary>
    Lines,

    /// <summary>Nothing beyond the usual log lines.</summary>
    None,
}

/// <summary>Settings of one replica, bound from the <c>Client</c> configuration section.</summary>
public sealed class ClientOptions
{
    public const string Section = "Client";

    /// <summary>The directory kept equal to the master. Created when missing.</summary>
    public string ReplicaDir { get; set; } = "";

    /// <summary>
    /// Where the applied offset and <c>status.json</c> are kept; must lie outside <see cref="ReplicaDir"/>. Created when
    /// missing. The command line defaults it to <c>$XDG_STATE_HOME/dlopbox/{Name}</c> (see <c>ClientSettings.DefaultStateDir</c>).
    /// </summary>
    public string StateDir { get; set; } = "";

    /// <summary>
    /// Names this client to the broker (<c>dlopbox-client:{Name}</c>), in logs and in its progress reports
    /// (<c>PUT /clients/{Name}</c>), which is why it must be a valid <see cref="ClientNames">client name</see>.
    /// </summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>
    /// Bearer token for the progress reports (<c>PUT /clients/{Name}</c>): the Interface's <c>Interface:ClientToken</c>.
    /// Unset, reports go without one, which an Interface that has a client token refuses (the sync goes on regardless).
    /// </summary>
    public string? Token { get; set; }

    public string StreamName { get; set; } = WireNames.EventStream;

    public int MaxParallelDownloads { get; set; } = 8;

    /// <summary>Unacknowledged deliveries the broker may push ahead (basic.qos); stream consumers need one.</summary>
    public int Prefetch { get; set; } = 1000;

    /// <summary>How often progress goes to the Interface (<c>PUT /clients/{Name}</c>) and to <c>status.json</c>; a phase change is sent at once.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(2);

    public ProgressDisplay ProgressDisplay { get; set; } = ProgressDisplay.Auto;

    /// <summary>
    /// Watch the replica dir and put back what someone other than the client changed, added or deleted there
    /// (by a reconcile from a fresh snapshot). Off, local changes stay until the master changes that path.
    /// </summary>
    public bool WatchReplica { get; set; } = true;

    /// <summary>How long the replica must stay quiet after a local change before it is repaired (one repair per burst).</summary>
    public TimeSpan DriftSettleTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Never delete a local file or dir the master does not have (extras kept beside the mirror). Paths the master
    /// has are still put back, and leftover temp files still removed.
    /// </summary>
    public bool KeepLocalFiles { get; set; }
}

/// <summary>Checks <see cref="ClientOptions"/> when the host starts, so a bad setting fails fast and says why.</summary>
internal sealed class ClientOptionsValidator : IValidateOptions<ClientOptions>
{
    public static readonly TimeSpan MinReportInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxReportInterval = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinDriftSettleTime = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan MaxDriftSettleTime = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, ClientOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ReplicaDir))
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.ReplicaDir)} is required: the dir to keep equal to the master.");
        if (string.IsNullOrWhiteSpace(options.StateDir))
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.StateDir)} is required: where the applied offset is kept.");
        if (failures.Count == 0 && IsSameOrUnder(options.StateDir, options.ReplicaDir))
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.StateDir)} must lie outside the replica dir: the replica is wiped to match the master.");
        if (string.IsNullOrWhiteSpace(options.Name))
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.Name)} must not be empty.");
        else if (!ClientNames.IsValid(options.Name))
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.Name)} must be {ClientNames.Rule} (it is part of a URL): '{options.Name}'.");
        if (string.IsNullOrWhiteSpace(options.StreamName))
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.StreamName)} must not be empty.");
        if (options.MaxParallelDownloads is < 1 or > 1024)
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.MaxParallelDownloads)} must be between 1 and 1024.");
        if (options.Prefetch is < 1 or > ushort.MaxValue)
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.Prefetch)} must be between 1 and {ushort.MaxValue}.");
        if (options.ReportInterval < MinReportInterval || options.ReportInterval > MaxReportInterval)
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.ReportInterval)} must be between {MinReportInterval.TotalSeconds} s and {MaxReportInterval.TotalHours} h (e.g. 00:00:02).");
        if (options.DriftSettleTime < MinDriftSettleTime || options.DriftSettleTime > MaxDriftSettleTime)
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.DriftSettleTime)} must be between {MinDriftSettleTime.TotalSeconds} s and {MaxDriftSettleTime.TotalMinutes} min (e.g. 00:00:01).");
        if (!Enum.IsDefined(options.ProgressDisplay))
            failures.Add($"{ClientOptions.Section}:{nameof(ClientOptions.ProgressDisplay)} must be Auto, Bar, Lines or None.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsSameOrUnder(string path, string ancestor)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(ancestor));
        return full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}

using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client;

/// <summary>Settings of one replica, bound from the <c>Client</c> configuration section.</summary>
public sealed class ClientOptions
{
    public const string SectionName = "Client";

    /// <summary>The directory kept equal to the master. Created when missing.</summary>
    public string ReplicaDir { get; set; } = "";

    /// <summary>Where the applied offset is kept; must lie outside <see cref="ReplicaDir"/>. Created when missing.</summary>
    public string StateDir { get; set; } = "";

    /// <summary>Names this client to the broker (<c>dlopbox-client:{Name}</c>) and in logs.</summary>
    public string Name { get; set; } = Environment.MachineName;

    public string StreamName { get; set; } = WireNames.EventStream;

    public int MaxParallelDownloads { get; set; } = 8;

    /// <summary>Unacknowledged deliveries the broker may push ahead (basic.qos); stream consumers need one.</summary>
    public int Prefetch { get; set; } = 1000;
}

/// <summary>Checks <see cref="ClientOptions"/> when the host starts, so a bad setting fails fast and says why.</summary>
internal sealed class ClientOptionsValidator : IValidateOptions<ClientOptions>
{
    public ValidateOptionsResult Validate(string? name, ClientOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ReplicaDir))
            failures.Add($"{ClientOptions.SectionName}:{nameof(ClientOptions.ReplicaDir)} is required.");
        if (string.IsNullOrWhiteSpace(options.StateDir))
            failures.Add($"{ClientOptions.SectionName}:{nameof(ClientOptions.StateDir)} is required.");
        if (failures.Count == 0 && IsSameOrUnder(options.StateDir, options.ReplicaDir))
            failures.Add($"{ClientOptions.SectionName}:{nameof(ClientOptions.StateDir)} must lie outside {nameof(ClientOptions.ReplicaDir)}: the replica is wiped to match the master.");
        if (string.IsNullOrWhiteSpace(options.Name))
            failures.Add($"{ClientOptions.SectionName}:{nameof(ClientOptions.Name)} must not be empty.");
        if (string.IsNullOrWhiteSpace(options.StreamName))
            failures.Add($"{ClientOptions.SectionName}:{nameof(ClientOptions.StreamName)} must not be empty.");
        if (options.MaxParallelDownloads is < 1 or > 1024)
            failures.Add($"{ClientOptions.SectionName}:{nameof(ClientOptions.MaxParallelDownloads)} must be between 1 and 1024.");
        if (options.Prefetch is < 1 or > ushort.MaxValue)
            failures.Add($"{ClientOptions.SectionName}:{nameof(ClientOptions.Prefetch)} must be between 1 and {ushort.MaxValue}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsSameOrUnder(string path, string ancestor)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(ancestor));
        return full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}

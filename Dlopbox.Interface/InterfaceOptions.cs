using System.Text.RegularExpressions;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Interface;

/// <summary>Options of the Interface, bound from configuration section <c>Interface</c>.</summary>
public sealed class InterfaceOptions
{
    public const string Section = "Interface";

    /// <summary>Bearer token the watcher must present on <c>POST /events</c>; at least 16 characters.</summary>
    public string WatcherToken { get; set; } = "";

    /// <summary>
    /// Bearer token clients must present on their progress reports (<c>PUT /clients/{name}</c>); at least 16
    /// characters. Unset (or empty), reports need none and anyone who reaches the Interface can add a client row
    /// to the status page: the Interface says so when it starts.
    /// </summary>
    public string? ClientToken { get; set; }

    /// <summary>Where the embedded event log (SQLite) lives when no MongoDB is configured.</summary>
    public string DataDir { get; set; } = "data";

    public string StreamName { get; set; } = WireNames.EventStream;

    /// <summary>Retention by age, in RabbitMQ's syntax (<c>7D</c>, <c>12h</c>, <c>30m</c>, <c>10s</c>).</summary>
    public string StreamMaxAge { get; set; } = "7D";

    /// <summary>Retention by size of the whole stream.</summary>
    public long StreamMaxLengthBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Size of one stream segment; retention drops whole segments, so tests use tiny ones. Null = broker default.</summary>
    public long? StreamMaxSegmentSizeBytes { get; set; }

    /// <summary>
    /// How long the stream's epoch probe waits for a record of a stream that holds some (see
    /// <see cref="EventStream.StreamEpoch"/>); past it, the publish or the reconnect fails and is retried.
    /// </summary>
    public TimeSpan StreamProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most events one <c>POST /events</c> may carry; more gets 413 and the watcher splits the batch.</summary>
    public int MaxBatchEvents { get; set; } = 10_000;

    public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Largest file size an event may claim.</summary>
    public long MaxFileSize { get; set; } = 1L << 40;
}

/// <summary>Checks <see cref="InterfaceOptions"/> when the host starts, so a bad setting fails fast and says why.</summary>
internal sealed partial class InterfaceOptionsValidator : IValidateOptions<InterfaceOptions>
{
    public const int MinTokenLength = 16;
    public static readonly TimeSpan MinStreamProbeTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxStreamProbeTimeout = TimeSpan.FromMinutes(10);
    public const int BatchEventsLimit = 1_000_000;

    public ValidateOptionsResult Validate(string? name, InterfaceOptions options)
    {
        const string section = InterfaceOptions.Section;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.WatcherToken))
            failures.Add($"{section}:{nameof(options.WatcherToken)} is required (the bearer token of the watcher).");
        else if (options.WatcherToken.Length < MinTokenLength)
            failures.Add($"{section}:{nameof(options.WatcherToken)} must be at least {MinTokenLength} characters.");
        // One line of at least 16 characters, or unset: unset, reports need no token.
        if (options.ClientToken is { Length: > 0 } clientToken && (clientToken.Length < MinTokenLength || clientToken.Contains('\n')))
            failures.Add($"{section}:{nameof(options.ClientToken)} must be at least {MinTokenLength} characters (or unset).");
        if (string.IsNullOrWhiteSpace(options.DataDir))
            failures.Add($"{section}:{nameof(options.DataDir)} is required.");
        if (string.IsNullOrWhiteSpace(options.StreamName))
            failures.Add($"{section}:{nameof(options.StreamName)} is required.");
        if (string.IsNullOrWhiteSpace(options.StreamMaxAge))
            failures.Add($"{section}:{nameof(options.StreamMaxAge)} is required.");
        else if (!RetentionAge().IsMatch(options.StreamMaxAge))
            failures.Add($"{section}:{nameof(options.StreamMaxAge)} must be a number and one of Y, M, D, h, m, s (e.g. 7D): '{options.StreamMaxAge}'.");
        if (options.StreamMaxLengthBytes < 1)
            failures.Add($"{section}:{nameof(options.StreamMaxLengthBytes)} must be at least 1.");
        if (options.StreamMaxSegmentSizeBytes < 1)
            failures.Add($"{section}:{nameof(options.StreamMaxSegmentSizeBytes)} must be at least 1 (or unset).");
        if (options.StreamProbeTimeout < MinStreamProbeTimeout || options.StreamProbeTimeout > MaxStreamProbeTimeout)
            failures.Add($"{section}:{nameof(options.StreamProbeTimeout)} must be between {MinStreamProbeTimeout.TotalSeconds} s and {MaxStreamProbeTimeout.TotalMinutes} min (e.g. 00:00:10).");
        if (options.MaxBatchEvents is < 1 or > BatchEventsLimit)
            failures.Add($"{section}:{nameof(options.MaxBatchEvents)} must be between 1 and {BatchEventsLimit}.");
        if (options.MaxRequestBodyBytes < 1)
            failures.Add($"{section}:{nameof(options.MaxRequestBodyBytes)} must be at least 1.");
        if (options.MaxFileSize < 0)
            failures.Add($"{section}:{nameof(options.MaxFileSize)} must not be negative.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>RabbitMQ's x-max-age syntax, the whole value.</summary>
    [GeneratedRegex(@"\A\d+[YMDhms]\z")]
    private static partial Regex RetentionAge();
}

using Microsoft.Extensions.Options;

namespace Dlopbox.Interface.Live;

/// <summary>The live page and the client registry, bound from configuration section <c>Interface:Live</c>.</summary>
public sealed class LiveOptions
{
    public const string Section = "Interface:Live";

    /// <summary>
    /// Base URL of the file server as a browser reaches it (e.g. <c>http://files.example:8080/files/</c>); the page
    /// links each file of the tree to it. Empty: the tree is shown without links.
    /// </summary>
    public string? FilesUrl { get; set; }

    /// <summary>Newest events kept in memory, so a page that opens or reconnects starts with them.</summary>
    public int RecentEvents { get; set; } = 200;

    /// <summary>Events a page may fall behind by before it loses the oldest (and is told how many).</summary>
    public int SubscriberBuffer { get; set; } = 2000;

    /// <summary>Width of one slice of the throughput chart.</summary>
    public int BucketSeconds { get; set; } = 5;

    /// <summary>How far back the throughput chart reaches.</summary>
    public int ThroughputMinutes { get; set; } = 5;

    /// <summary>How often each page gets a <c>status</c> message (head offset, throughput, clients); also its keep-alive.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most clients remembered; past it the one seen longest ago is forgotten.</summary>
    public int MaxClients { get; set; } = 1000;

    /// <summary>A client not heard from for this long is forgotten.</summary>
    public TimeSpan ForgetClientsAfter { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>Checks <see cref="LiveOptions"/> when the host starts, so a bad setting fails fast and says why.</summary>
internal sealed class LiveOptionsValidator : IValidateOptions<LiveOptions>
{
    public static readonly TimeSpan MinStatusInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxStatusInterval = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan MinForgetClientsAfter = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxForgetClientsAfter = TimeSpan.FromDays(365);

    public ValidateOptionsResult Validate(string? name, LiveOptions options)
    {
        const string section = LiveOptions.Section;
        var failures = new List<string>();
        // The same test as the former [Url]: a scheme prefix, nothing more (a browser opens the links, not the Interface).
        if (options.FilesUrl is { } filesUrl && !(filesUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || filesUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || filesUrl.StartsWith("ftp://", StringComparison.OrdinalIgnoreCase)))
            failures.Add($"{section}:{nameof(options.FilesUrl)} must be an http:// or https:// URL (or unset): '{filesUrl}'.");
        Between(options.RecentEvents, 0, 100_000, nameof(options.RecentEvents));
        Between(options.SubscriberBuffer, 16, 1_000_000, nameof(options.SubscriberBuffer));
        Between(options.BucketSeconds, 1, 3600, nameof(options.BucketSeconds));
        Between(options.ThroughputMinutes, 1, 24 * 60, nameof(options.ThroughputMinutes));
        Between(options.MaxClients, 1, 100_000, nameof(options.MaxClients));
        if (options.StatusInterval < MinStatusInterval || options.StatusInterval > MaxStatusInterval)
            failures.Add($"{section}:{nameof(options.StatusInterval)} must be between {MinStatusInterval.TotalSeconds} s and {MaxStatusInterval.TotalMinutes} min (e.g. 00:00:02).");
        if (options.ForgetClientsAfter < MinForgetClientsAfter || options.ForgetClientsAfter > MaxForgetClientsAfter)
            failures.Add($"{section}:{nameof(options.ForgetClientsAfter)} must be between {MinForgetClientsAfter.TotalSeconds} s and {MaxForgetClientsAfter.TotalDays} days (e.g. 7.00:00:00).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Between(int value, int min, int max, string property)
        {
            if (value < min || value > max)
                failures.Add($"{section}:{property} must be between {min} and {max}.");
        }
    }
}

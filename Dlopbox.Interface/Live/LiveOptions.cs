using System.ComponentModel.DataAnnotations;

namespace Dlopbox.Interface.Live;

/// <summary>The live page and the client registry, bound from configuration section <c>Interface:Live</c>.</summary>
public sealed class LiveOptions
{
    public const string Section = "Interface:Live";

    /// <summary>
    /// Base URL of the file server as a browser reaches it (e.g. <c>http://files.example:8080/files/</c>); the page
    /// links each file of the tree to it. Empty: the tree is shown without links.
    /// </summary>
    [Url]
    public string? FilesUrl { get; set; }

    /// <summary>Newest events kept in memory, so a page that opens or reconnects starts with them.</summary>
    [Range(0, 100_000)]
    public int RecentEvents { get; set; } = 200;

    /// <summary>Events a page may fall behind by before it loses the oldest (and is told how many).</summary>
    [Range(16, 1_000_000)]
    public int SubscriberBuffer { get; set; } = 2000;

    /// <summary>Width of one slice of the throughput chart.</summary>
    [Range(1, 3600)]
    public int BucketSeconds { get; set; } = 5;

    /// <summary>How far back the throughput chart reaches.</summary>
    [Range(1, 24 * 60)]
    public int ThroughputMinutes { get; set; } = 5;

    /// <summary>How often each page gets a <c>status</c> message (head offset, throughput, clients); also its keep-alive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most clients remembered; past it the one seen longest ago is forgotten.</summary>
    [Range(1, 100_000)]
    public int MaxClients { get; set; } = 1000;

    /// <summary>A client not heard from for this long is forgotten.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan ForgetClientsAfter { get; set; } = TimeSpan.FromDays(7);
}

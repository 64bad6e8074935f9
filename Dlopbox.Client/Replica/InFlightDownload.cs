using System.Diagnostics;

namespace Dlopbox.Client.Replica;

/// <summary>One download of <see cref="DownloadScheduler"/>, from its start until it is written, skipped or abandoned.</summary>
internal sealed class InFlightDownload(string path)
{
    public string Path { get; } = path;

    /// <summary>Set by the dispatcher right after the download starts.</summary>
    public Task? Task { get; set; }

    /// <summary>A later write of the same path was dispatched: this one need not fetch anything any more.</summary>
    public volatile bool Superseded;

    /// <summary>The span of the event this download applies; it ends with the download.</summary>
    public Activity? Span { get; set; }

    /// <summary>The span tag naming how the download ended.</summary>
    public const string ResultTag = "dlopbox.download.result";

    public static string ResultName(DownloadResult result) => result switch
    {
        DownloadResult.Written => "written",
        DownloadResult.NotFound => "not_found",
        DownloadResult.Changed => "changed",
        DownloadResult.Rejected => "rejected",
        _ => "unknown",
    };
}

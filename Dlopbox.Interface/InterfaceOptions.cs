using System.ComponentModel.DataAnnotations;
using Dlopbox.Contracts;

namespace Dlopbox.Interface;

/// <summary>Options of the Interface, bound from configuration section <c>Interface</c>.</summary>
public sealed class InterfaceOptions
{
    public const string Section = "Interface";

    /// <summary>Bearer token the watcher must present on <c>POST /events</c>.</summary>
    [Required, MinLength(16)]
    public string WatcherToken { get; set; } = "";

    /// <summary>
    /// Bearer token clients must present on their progress reports (<c>PUT /clients/{name}</c>); at least 16
    /// characters. Unset (or empty), reports need none and anyone who reaches the Interface can add a client row
    /// to the status page: the Interface says so when it starts.
    /// </summary>
    [RegularExpression(".{16,}", ErrorMessage = "Interface:ClientToken must be at least 16 characters (or unset).")]
    public string? ClientToken { get; set; }

    /// <summary>Where the embedded event log (SQLite) lives when no MongoDB is configured.</summary>
    [Required]
    public string DataDir { get; set; } = "data";

    [Required]
    public string StreamName { get; set; } = WireNames.EventStream;

    /// <summary>Retention by age, in RabbitMQ's syntax (<c>7D</c>, <c>12h</c>, <c>30m</c>, <c>10s</c>).</summary>
    [Required, RegularExpression(@"^\d+[YMDhms]$")]
    public string StreamMaxAge { get; set; } = "7D";

    /// <summary>Retention by size of the whole stream.</summary>
    [Range(1, long.MaxValue)]
    public long StreamMaxLengthBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Size of one stream segment; retention drops whole segments, so tests use tiny ones. Null = broker default.</summary>
    [Range(1, long.MaxValue)]
    public long? StreamMaxSegmentSizeBytes { get; set; }

    /// <summary>
    /// How long the stream's epoch probe waits for a record of a stream that holds some (see
    /// <see cref="EventStream.StreamEpoch"/>); past it, the publish or the reconnect fails and is retried.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StreamProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most events one <c>POST /events</c> may carry; more gets 413 and the watcher splits the batch.</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchEvents { get; set; } = 10_000;

    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Largest file size an event may claim.</summary>
    [Range(0, long.MaxValue)]
    public long MaxFileSize { get; set; } = 1L << 40;
}

using System.Globalization;
using Dlopbox.Client.State;

namespace Dlopbox.Client.Terminal;

/// <summary>
/// The plain form of the initial sync's progress, for logs and pipes: a line every <c>interval</c> and one at the
/// end, e.g. <c>initial sync: 1234/10000 files, 120.5 MiB/1.0 GiB, 45.3 MiB/s, ETA 0:32</c>. Only decides and
/// formats (the caller polls it and writes the lines), so it runs on any clock.
/// </summary>
internal sealed class ProgressLineRenderer(TimeProvider time, TimeSpan interval)
{
    public const string Prefix = "initial sync: ";

    /// <summary>The rate (and so the ETA) is measured over this much recent time, so it follows changes in speed.</summary>
    internal static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private readonly Queue<(long Timestamp, long Bytes)> _samples = new();
    private bool _begun;
    private long _started;
    private long _lastLine;

    /// <summary>
    /// The line to print for <paramref name="counters"/> now, or null when the last one is recent enough.
    /// <paramref name="final"/>: the reconcile is over; always returns its closing line.
    /// </summary>
    public string? Next(ReconcileCounters counters, bool final)
    {
        var now = time.GetTimestamp();
        var bytes = Math.Clamp(counters.BytesDone, 0, counters.BytesTotal);
        if (!_begun)
        {
            _begun = true;
            _started = now;
            _lastLine = now;
        }
        _samples.Enqueue((now, bytes));
        while (_samples.Count > 2 && time.GetElapsedTime(_samples.Peek().Timestamp, now) > RateWindow)
            _samples.Dequeue();

        if (final)
            return Closing(counters, bytes, time.GetElapsedTime(_started, now));
        if (time.GetElapsedTime(_lastLine, now) < interval)
            return null;
        _lastLine = now;
        return Line(counters, bytes, Rate(now, bytes));
    }

    /// <summary>Bytes per second over the last <see cref="RateWindow"/>; null until there is something to measure.</summary>
    private double? Rate(long now, long bytes)
    {
        var (oldest, oldestBytes) = _samples.Peek();
        var seconds = time.GetElapsedTime(oldest, now).TotalSeconds;
        return seconds > 0 ? (bytes - oldestBytes) / seconds : null;
    }

    internal static string Line(ReconcileCounters counters, long bytes, double? rate)
    {
        var remaining = counters.BytesTotal - bytes;
        var eta = rate is > 0 ? ProgressFormat.Duration(TimeSpan.FromSeconds(remaining / rate.Value)) : remaining == 0 ? "0:00" : "unknown";
        var speed = rate is { } r ? ProgressFormat.Bytes(r) + "/s" : "– B/s";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{counters.FilesDone}/{counters.FilesTotal} files, {ProgressFormat.Bytes(bytes)}/{ProgressFormat.Bytes(counters.BytesTotal)}, {speed}, ETA {eta}");
    }

    private static string Closing(ReconcileCounters counters, long bytes, TimeSpan elapsed)
    {
        var complete = counters.FilesDone >= counters.FilesTotal;
        var average = elapsed.TotalSeconds > 0 ? ProgressFormat.Bytes(bytes / elapsed.TotalSeconds) + "/s" : "– B/s";
        return complete
            ? string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}done, {counters.FilesDone}/{counters.FilesTotal} files, {ProgressFormat.Bytes(bytes)} in {ProgressFormat.Duration(elapsed)} ({average})")
            : string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}stopped at {counters.FilesDone}/{counters.FilesTotal} files, {ProgressFormat.Bytes(bytes)}/{ProgressFormat.Bytes(counters.BytesTotal)} after {ProgressFormat.Duration(elapsed)}");
    }
}

using System.Globalization;

namespace Dlopbox.Bench;

public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
            return double.NaN;
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>
    /// The median of the ratios taken pair by pair (repetition i of one against repetition i of the other):
    /// on a shared, noisy machine both halves of a pair saw about the same load, which a ratio of medians does not promise.
    /// </summary>
    public static double PairedRatio(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators) =>
        Median(numerators.Zip(denominators, (n, d) => n / d));

    public static string F(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    public static string Seconds(double seconds) => F(seconds, seconds < 10 ? "0.00" : "0.0") + " s";

    public static string Mib(double bytes) => F(bytes / (1 << 20), "0") + " MiB";
}

using System.Globalization;

namespace Dlopbox.Client.Terminal;

/// <summary>How sizes, rates and durations read on the console and in the status table (binary units, invariant culture).</summary>
internal static class ProgressFormat
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary><c>512 B</c>, <c>120.5 MiB</c>, <c>1.0 GiB</c>.</summary>
    public static string Bytes(double bytes)
    {
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < Units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {Units[unit]}");
    }

    /// <summary><c>0:32</c>, <c>12:05</c>, <c>1:02:03</c>.</summary>
    public static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
            duration = TimeSpan.Zero;
        var seconds = (long)Math.Round(duration.TotalSeconds);
        return seconds >= 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
    }

    /// <summary><c>3 s ago</c>, <c>5 min ago</c>, <c>2 h ago</c>, <c>4 d ago</c>.</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
            age = TimeSpan.Zero;
        return age.TotalSeconds < 90 ? $"{(long)age.TotalSeconds} s ago"
            : age.TotalMinutes < 90 ? $"{(long)age.TotalMinutes} min ago"
            : age.TotalHours < 48 ? $"{(long)age.TotalHours} h ago"
            : $"{(long)age.TotalDays} d ago";
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dlopbox.Contracts;

/// <summary>
/// A file's time as the file system keeps it: whole seconds since the Unix epoch and the nanoseconds
/// within that second (ext4, xfs and btrfs keep nanoseconds; <see cref="DateTimeOffset"/> keeps only 100 ns,
/// so a replica stamped through it would differ from the master). On the wire it is RFC 3339 with nine
/// fraction digits, <c>2026-12-01T19:36:20.123456789Z</c>; shorter fractions and offsets are read too.
/// </summary>
[JsonConverter(typeof(FileTimeJsonConverter))]
public readonly record struct FileTime : IComparable<FileTime>
{
    private const long NanosPerSecond = 1_000_000_000;

    public FileTime(long seconds, int nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nanoseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(nanoseconds, (int)NanosPerSecond);
        Seconds = seconds;
        Nanoseconds = nanoseconds;
    }

    /// <summary>Whole seconds since 1970-01-01T00:00:00Z (negative before it).</summary>
    public long Seconds { get; }

    /// <summary>0 to 999,999,999.</summary>
    public int Nanoseconds { get; }

    /// <summary>The same instant to 100 ns (the last two digits of <see cref="Nanoseconds"/> are dropped).</summary>
    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.UnixEpoch.AddTicks(Seconds * TimeSpan.TicksPerSecond + Nanoseconds / 100);

    public static FileTime FromDateTimeOffset(DateTimeOffset value)
    {
        var ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }
        return new FileTime(seconds, (int)(remainder * 100));
    }

    /// <summary>Lossless: a <see cref="DateTimeOffset"/> holds 100 ns, which nanoseconds always hold.</summary>
    public static implicit operator FileTime(DateTimeOffset value) => FromDateTimeOffset(value);

    public int CompareTo(FileTime other) =>
        Seconds != other.Seconds ? Seconds.CompareTo(other.Seconds) : Nanoseconds.CompareTo(other.Nanoseconds);

    public static bool operator <(FileTime left, FileTime right) => left.CompareTo(right) < 0;

    public static bool operator >(FileTime left, FileTime right) => left.CompareTo(right) > 0;

    public static bool operator <=(FileTime left, FileTime right) => left.CompareTo(right) <= 0;

    public static bool operator >=(FileTime left, FileTime right) => left.CompareTo(right) >= 0;

    /// <summary>RFC 3339, UTC, nine fraction digits.</summary>
    public override string ToString() =>
        DateTimeOffset.UnixEpoch.AddSeconds(Seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
        + "." + Nanoseconds.ToString("D9", CultureInfo.InvariantCulture) + "Z";

    /// <summary>Reads RFC 3339 (<c>…T…[.fraction](Z|±hh:mm)</c>); fraction digits past the ninth are dropped.</summary>
    public static bool TryParse(string? text, out FileTime value)
    {
        value = default;
        if (text is null || text.Length < 20 || text[10] is not ('T' or 't'))
            return false;
        var rest = 19;
        long nanos = 0;
        if (text[rest] == '.')
        {
            var digits = 0;
            for (rest++; rest < text.Length && char.IsAsciiDigit(text[rest]); rest++, digits++)
            {
                if (digits < 9)
                    nanos = nanos * 10 + (text[rest] - '0');
            }
            if (digits == 0)
                return false;
            for (; digits < 9; digits++)
                nanos *= 10;
        }
        var whole = string.Concat(text.AsSpan(0, 19), text.AsSpan(rest));
        if (!DateTimeOffset.TryParseExact(whole, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd't'HH:mm:ssK"], CultureInfo.InvariantCulture,
                DateTimeStyles.None, out var seconds) || whole.Length == 19)
            return false;
        value = new FileTime(seconds.ToUnixTimeSeconds(), (int)nanos);
        return true;
    }

    public static FileTime Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not an RFC 3339 time");
}

/// <summary>JSON form of <see cref="FileTime"/>: an RFC 3339 string with nanoseconds.</summary>
public sealed class FileTimeJsonConverter : JsonConverter<FileTime>
{
    public override FileTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !FileTime.TryParse(reader.GetString(), out var value))
            throw new JsonException("must be an RFC 3339 time such as 2026-12-01T19:36:20.123456789Z");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, FileTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

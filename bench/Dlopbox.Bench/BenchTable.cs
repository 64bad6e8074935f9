using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dlopbox.Bench;

/// <summary>One line of the result table; <see cref="Samples"/> keeps every repetition's raw figures for the JSON.</summary>
public sealed record BenchRow(string Workload, string Dlopbox, string Reference, string Ratio, string Target, bool? Met)
{
    public Dictionary<string, List<double>> Samples { get; init; } = [];
}

public sealed record BenchReport(string Started, string Size, int Reps, IReadOnlyList<string> Machine, IReadOnlyList<string> Notes, IReadOnlyList<BenchRow> Rows);

public static class BenchTable
{
    private static readonly string[] Headers = ["workload", "dlopbox", "reference(s)", "ratio", "target", "met?"];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Markdown(IReadOnlyList<BenchRow> rows)
    {
        var cells = rows.Select(r => new[] { r.Workload, r.Dlopbox, r.Reference, r.Ratio, r.Target, Met(r.Met) }).ToList();
        var widths = Headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Headers.Select((h, i) => h.PadRight(widths[i]))) + " |");
        text.AppendLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in cells)
            text.AppendLine("| " + string.Join(" | ", row.Select((c, i) => c.PadRight(widths[i]))) + " |");
        return text.ToString();
    }

    private static string Met(bool? met) => met switch { true => "yes", false => "**no**", null => "–" };

    /// <summary>Writes <c>&lt;stamp&gt;.json</c> and <c>.md</c>; a full run also refreshes <c>latest.*</c>, the ones worth committing.</summary>
    public static IReadOnlyList<string> Write(BenchReport report, string dir, bool alsoLatest)
    {
        Directory.CreateDirectory(dir);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonSerializer.Serialize(report, Json);
        var markdown = new StringBuilder()
            .AppendLine($"# dlopbox bench, {report.Size} size, {report.Started}")
            .AppendLine()
            .AppendJoin(Environment.NewLine, report.Machine.Select(m => "- " + m)).AppendLine()
            .AppendLine()
            .Append(Markdown(report.Rows))
            .AppendLine()
            .AppendJoin(Environment.NewLine, report.Notes.Select(n => "- " + n)).AppendLine()
            .ToString();
        var names = new List<string> { stamp };
        if (alsoLatest)
            names.Add("latest");
        var written = new List<string>();
        foreach (var name in names)
        {
            var jsonPath = Path.Combine(dir, name + ".json");
            var markdownPath = Path.Combine(dir, name + ".md");
            File.WriteAllText(jsonPath, json);
            File.WriteAllText(markdownPath, markdown);
            written.Add(jsonPath);
            written.Add(markdownPath);
        }
        return written;
    }
}

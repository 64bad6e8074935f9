using System.Text.Json;

namespace Dlopbox.Tests.Telemetry;

/// <summary>One span as <c>JsonLinesActivityExporter</c> wrote it.</summary>
public sealed record SpanRecord(
    string Service,
    string Source,
    string Name,
    string Kind,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    IReadOnlyDictionary<string, string?> Tags,
    IReadOnlyList<string> LinkedSpanIds)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;

    public override string ToString() =>
        $"{Service} | {Source} | {Kind} {Name} | span {SpanId} parent {ParentSpanId ?? "-"}"
        + (LinkedSpanIds.Count > 0 ? $" links {string.Join(',', LinkedSpanIds)}" : "");
}

/// <summary>Reads the span files the services write while they run: only whole lines, so a line being written is skipped.</summary>
public static class SpanLog
{
    public static List<SpanRecord> ReadAll(string dir)
    {
        var spans = new List<SpanRecord>();
        if (!Directory.Exists(dir))
            return spans;
        foreach (var file in Directory.GetFiles(dir, "*.jsonl"))
        {
            string text;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var reader = new StreamReader(stream))
                text = reader.ReadToEnd();
            var complete = text.LastIndexOf('\n');
            if (complete < 0)
                continue;
            foreach (var line in text[..complete].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                spans.Add(Parse(line));
        }
        return spans;
    }

    private static SpanRecord Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var tags = root.GetProperty("tags").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        var links = root.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("spanId").GetString()!).ToList();
        return new SpanRecord(
            root.GetProperty("service").GetString()!,
            root.GetProperty("source").GetString()!,
            root.GetProperty("name").GetString()!,
            root.GetProperty("kind").GetString()!,
            root.GetProperty("traceId").GetString()!,
            root.GetProperty("spanId").GetString()!,
            root.GetProperty("parentSpanId").GetString(),
            tags,
            links);
    }
}

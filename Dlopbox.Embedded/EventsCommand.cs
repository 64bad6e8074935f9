using System.Globalization;
using System.Net.Http.Json;
using Dlopbox.Contracts;

namespace Dlopbox.Embedded;

/// <summary><c>events</c>: the last N events of the log, as a table, for operators.</summary>
public static class EventsCommand
{
    public const string Usage = """
        usage: dlopbox events [--interface URL] [-n N] [--path P] [--prefix P] [--kind write|mkdir|delete|move]

          --interface URL  the Interface (default: http://127.0.0.1:5000)
          -n N             how many events, newest first (default 20, at most 1000)
          --path P         only this path (and moves from it)
          --prefix P       only this dir and what is below it
          --kind K         only this kind of change
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var url = "http://127.0.0.1:5000";
        var query = new List<string>();
        var count = 20;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--interface": url = Value(); break;
                case "-n": count = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--path": query.Add("path=" + Uri.EscapeDataString(Value())); break;
                case "--prefix": query.Add("prefix=" + Uri.EscapeDataString(Value())); break;
                case "--kind": query.Add("kind=" + Uri.EscapeDataString(Value())); break;
                case "-h" or "--help": output.WriteLine(Usage); return 0;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        query.Add("limit=" + count.ToString(CultureInfo.InvariantCulture));

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var response = await http.GetAsync("/events?" + string.Join('&', query));
        if (!response.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"dlopbox: {(int)response.StatusCode} from {url}: {await response.Content.ReadAsStringAsync()}");
            return 1;
        }
        var page = await response.Content.ReadFromJsonAsync(DlopboxJsonContext.Default.EventPage);
        Print(page!.Events, output);
        return 0;
    }

    public static void Print(IReadOnlyList<LoggedEvent> events, TextWriter output)
    {
        string[] header = ["offset", "received (UTC)", "kind", "path", "size", "source"];
        var rows = events.Select(e => new[]
        {
            e.Offset.ToString(CultureInfo.InvariantCulture),
            e.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
            e.Change.Kind.ToString().ToLowerInvariant(),
            e.Change.OldPath is { } old ? $"{old} → {e.Change.Path}" : e.Change.Path + (e.Change.IsDir ? "/" : ""),
            e.Change.Size?.ToString("N0", CultureInfo.InvariantCulture) ?? "",
            e.Source,
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c == 4 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd();
        output.WriteLine(Line(header));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
            output.WriteLine(Line(row));
        if (rows.Count == 0)
            output.WriteLine("(no events)");
    }
}

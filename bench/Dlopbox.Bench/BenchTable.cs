namespace Dlopbox.Bench;

public static class BenchTable
{
    public static void Print(IReadOnlyList<BenchRow> rows)
    {
        var w1 = Math.Max("workload".Length, rows.Max(r => r.Workload.Length));
        var w2 = Math.Max("measure".Length, rows.Max(r => r.Measure.Length));
        Console.WriteLine();
        Console.WriteLine($"| {"workload".PadRight(w1)} | {"measure".PadRight(w2)} | value |");
        Console.WriteLine($"|{new string('-', w1 + 2)}|{new string('-', w2 + 2)}|-------|");
        foreach (var row in rows)
            Console.WriteLine($"| {row.Workload.PadRight(w1)} | {row.Measure.PadRight(w2)} | {row.Value} |");
    }
}

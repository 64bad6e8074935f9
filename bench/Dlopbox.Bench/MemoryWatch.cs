using Dlopbox.Embedded;
using static Dlopbox.Bench.Stats;

namespace Dlopbox.Bench;

/// <summary>Peak RSS (VmHWM) of the first client and of the Interface during the dlopbox part of a workload.</summary>
public sealed class MemoryWatch(EmbeddedSystem system)
{
    private readonly Dictionary<string, List<double>> _peaks = [];
    private bool _sinceStart;

    private IEnumerable<ServiceProcess> Watched => [system.Clients[0], system.Interface];

    public void Reset()
    {
        foreach (var service in Watched)
        {
            if (service.Pid is { } pid && !ProcessMemory.ResetPeak(pid))
                _sinceStart = true;
        }
    }

    public void Read(string workload)
    {
        foreach (var service in Watched)
        {
            if (service.Pid is not { } pid)
                continue;
            var key = $"{service.Name} during {workload}";
            if (!_peaks.TryGetValue(key, out var list))
                _peaks[key] = list = [];
            list.Add(ProcessMemory.PeakBytes(pid));
        }
    }

    /// <summary>One row: the largest peak over the repetitions (a peak is a maximum, so no median here).</summary>
    public BenchRow? Row()
    {
        if (_peaks.Count == 0)
            return null;
        var client = _peaks.Where(p => p.Key.StartsWith(system.Clients[0].Name + " ", StringComparison.Ordinal)).ToList();
        var clientPeak = client.SelectMany(p => p.Value).DefaultIfEmpty(double.NaN).Max();
        var row = new BenchRow(
            "7. memory: peak RSS (VmHWM) during 2 and 3" + (_sinceStart ? " (since start: clear_refs refused)" : ""),
            string.Join("; ", _peaks.Select(p => $"{p.Key} {Mib(p.Value.Max())}")),
            "",
            "",
            "client ≤ 150 MB",
            double.IsNaN(clientPeak) ? null : clientPeak <= 150e6);
        foreach (var (key, values) in _peaks)
            row.Samples[key + " bytes"] = values;
        return row;
    }
}

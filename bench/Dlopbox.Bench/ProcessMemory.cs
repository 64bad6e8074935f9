using System.Globalization;

namespace Dlopbox.Bench;

/// <summary>Peak resident memory of a process, from <c>/proc/&lt;pid&gt;/status</c>.</summary>
public static class ProcessMemory
{
    /// <summary>
    /// Resets the peak (VmHWM) to the current RSS by writing 5 to <c>clear_refs</c> (Linux ≥ 4.0, same user), so the
    /// next read is the peak of one workload, not since start. False when the kernel refused: the peak is then since start.
    /// </summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>VmHWM in bytes, or NaN when the process is gone.</summary>
    public static double PeakBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return double.NaN;
    }
}

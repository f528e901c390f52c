using System.Diagnostics;
using System.Globalization;

namespace Matching.LoadTest;

/// <summary>CPU time and memory of the server process, read from /proc.</summary>
/// <param name="CpuMs">User plus system CPU time since the process started, ms.</param>
/// <param name="RssKiB">Resident set size now (VmRSS).</param>
/// <param name="PeakRssKiB">Peak resident set size (VmHWM) since start or since the last <see cref="ProcessStats.ResetPeak"/>.</param>
public readonly record struct ProcessSnapshot(double CpuMs, long RssKiB, long PeakRssKiB);

/// <summary>
/// Reads <c>/proc/PID/stat</c> (utime and stime, in clock ticks of <c>getconf CLK_TCK</c>) and
/// <c>/proc/PID/status</c> (VmRSS, VmHWM). Steadier than wall time on a shared machine: it counts
/// only what the server itself ran, whatever else competes for the cores.
/// </summary>
public sealed class ProcessStats(int pid)
{
    private static readonly Lazy<long> ClockTicks = new(ReadClockTicks);

    public int Pid { get; } = pid;

    public static long TicksPerSecond => ClockTicks.Value;

    public ProcessSnapshot Read()
    {
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3,
        // utime field 14 and stime field 15 (proc(5)).
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = KiB(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = KiB(line);
            }
        }

        return new ProcessSnapshot(ticks * 1000.0 / TicksPerSecond, rss, hwm);
    }

    /// <summary>Resets VmHWM to the current RSS (writing 5 to clear_refs), so a phase's peak is its own; false when not permitted.</summary>
    public bool ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{Pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public bool IsAlive => Directory.Exists($"/proc/{Pid}");

    private static long KiB(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static long ReadClockTicks()
    {
        using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("getconf did not start.");
        var text = getconf.StandardOutput.ReadToEnd().Trim();
        getconf.WaitForExit(5_000);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) && ticks > 0
            ? ticks
            : throw new InvalidOperationException($"getconf CLK_TCK printed '{text}'.");
    }
}

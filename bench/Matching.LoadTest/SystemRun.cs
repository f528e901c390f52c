using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Matching.LoadTest;

/// <summary>One scenario: a traffic mix at a fixed arrival rate (open loop) or a fixed number of connections (closed loop).</summary>
public sealed record Scenario(TrafficMix Mix, double? Rate, int? Connections)
{
    public string Name => (Rate is { } r ? $"open {r:0}/s" : $"closed {Connections}") + " " + Mix.Name;
}

/// <summary>How long and how hard each scenario runs.</summary>
public sealed record RunSettings(TimeSpan Warmup, TimeSpan Duration, IReadOnlyList<double> Rates, int Connections, LoadLimits Limits, int Seed)
{
    /// <summary>Match-only first (open loop at each rate, then closed loop), then the same with mixed traffic.</summary>
    public IReadOnlyList<Scenario> Scenarios =>
    [
        .. new[] { TrafficMix.MatchOnly, TrafficMix.Mixed }.SelectMany(mix =>
            Rates.Select(r => new Scenario(mix, r, null)).Append(new Scenario(mix, null, Connections))),
    ];
}

/// <summary>Everything the harness sends.</summary>
public sealed record Workload(byte[] StandardRequest, JsonObject RatingTemplate, JsonObject OutcomeTemplate);

/// <summary>
/// Runs every scenario against one system, one after another: a warm-up at the scenario's own
/// load (not measured; it also fills the pool of shortlists the mixed writes use), a moment for
/// the server to go idle and its runtime counters to be collected, then the measured phase,
/// bracketed by /proc readings and by runtime counter readings taken while the server is idle.
/// </summary>
public sealed class SystemRun(string name, string kind, string description, Uri url, int pid, RunSettings settings, Workload workload)
{
    private static readonly TimeSpan CounterWait = TimeSpan.FromSeconds(5);
    private readonly ProcessStats _process = new(pid);

    public async Task<SystemResult> RunAsync(SetupSummary? setup, CancellationToken ct)
    {
        if (!_process.IsAlive)
        {
            throw new InvalidOperationException($"No process {pid}.");
        }

        // VmHWM so far: start-up and, for the service, the directory import.
        var peak = _process.Read().PeakRssKiB / 1024.0;
        using var traffic = new Traffic(url, workload.StandardRequest, workload.RatingTemplate, workload.OutcomeTemplate,
            Math.Max(settings.Limits.MaxInFlight, settings.Connections), settings.Limits.RequestTimeout);
        var seed = settings.Seed;

        // Past start-up's JIT tiering and the import's garbage before the first scenario's own
        // warm-up; at least 5 s even in a quick run, or the first phase pays for tier-1 compilation.
        var systemWarmup = TimeSpan.FromSeconds(Math.Max(5, settings.Warmup.TotalSeconds));
        await LoadAsync(traffic, new Scenario(TrafficMix.MatchOnly, null, settings.Connections), systemWarmup, seed++, ct);
        var phases = new List<PhaseResult>();
        foreach (var scenario in settings.Scenarios)
        {
            await LoadAsync(traffic, scenario, settings.Warmup, seed++, ct);
            var phase = await MeasureAsync(traffic, scenario, seed++, ct);
            peak = Math.Max(peak, phase.Cost.PeakRssMiB);
            phases.Add(phase);
            Console.WriteLine("  " + Report.Line(phase));
        }

        if (setup is not null)
        {
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(1) };
            var after = await DirectorySetup.ProbeAsync(http, workload.StandardRequest, ct);
            Console.WriteLine($"  standard request after the run: eligible {after.Eligible:N0} of {after.Considered:N0} (choices used capacity)");
            setup = setup with { EligibleAfter = after.Eligible };
        }

        await SettleAsync(ct);
        var idle = await IdleAsync(ct);
        Console.WriteLine($"  idle after the run: {idle.CpuMsPerSecond:0.0} CPU ms/s, {Report.N(idle.KiBPerSecond)} KB/s allocated; " +
            $"one pair of counter readings itself accounts for {Report.N(idle.ProbeKiB)} KB");
        var end = _process.Read();
        return new SystemResult(name, kind, description, pid, idle, end.RssKiB / 1024.0, Math.Max(peak, end.PeakRssKiB / 1024.0), setup, phases);
    }

    /// <summary>
    /// The server's CPU and allocations while no request arrives, and what a pair of counter
    /// readings (the bracket of every phase) allocates in the server by itself.
    /// </summary>
    private async Task<IdleCost> IdleAsync(CancellationToken ct)
    {
        var idle = TimeSpan.FromSeconds(3);
        var c0 = await RuntimeCounters.ReadAsync(pid, CounterWait);
        var c1 = await RuntimeCounters.ReadAsync(pid, CounterWait);
        var p0 = _process.Read();
        var watch = Stopwatch.StartNew();
        await Task.Delay(idle, ct);
        var p1 = _process.Read();
        var seconds = watch.Elapsed.TotalSeconds;
        var c2 = await RuntimeCounters.ReadAsync(pid, CounterWait);
        return new IdleCost(
            (p1.CpuMs - p0.CpuMs) / seconds,
            c1 is not null && c2 is not null ? (c2.AllocatedBytes - c1.AllocatedBytes) / 1024 / seconds : null,
            c0 is not null && c1 is not null ? (c1.AllocatedBytes - c0.AllocatedBytes) / 1024 : null);
    }

    private async Task<PhaseResult> MeasureAsync(Traffic traffic, Scenario scenario, int seed, CancellationToken ct)
    {
        // Both readings are taken while the server is idle (after the warm-up's last answer, after
        // the phase's), and no counter session runs during the phase.
        await SettleAsync(ct);
        var c0 = await RuntimeCounters.ReadAsync(pid, CounterWait);
        var peakReset = _process.ResetPeak();
        var p0 = _process.Read();
        var raw = await LoadAsync(traffic, scenario, settings.Duration, seed, ct);
        var p1 = _process.Read();
        var c1 = await RuntimeCounters.ReadAsync(pid, CounterWait);
        var counted = c0 is not null && c1 is not null;
        var cost = new ServerCost(
            p1.CpuMs - p0.CpuMs,
            counted ? c1!.AllocatedBytes - c0!.AllocatedBytes : null,
            counted ? (int)(c1!.Gen0 - c0!.Gen0) : null,
            counted ? (int)(c1!.Gen1 - c0!.Gen1) : null,
            counted ? (int)(c1!.Gen2 - c0!.Gen2) : null,
            counted ? (c1!.PauseSeconds - c0!.PauseSeconds) * 1000 : null,
            p1.RssKiB / 1024.0,
            (peakReset ? p1.PeakRssKiB : Math.Max(p1.PeakRssKiB, p0.PeakRssKiB)) / 1024.0);
        return PhaseResult.From(scenario.Name, scenario.Mix, scenario.Rate, scenario.Connections, raw, cost);
    }

    /// <summary>
    /// Waits (at most 30 s) until the server uses under a tenth of a core: requests the client gave
    /// up on in the warm-up may still be running in it, and their work must not count in the phase.
    /// </summary>
    private async Task SettleAsync(CancellationToken ct)
    {
        var window = TimeSpan.FromMilliseconds(500);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            var before = _process.Read().CpuMs;
            await Task.Delay(window, ct);
            if (_process.Read().CpuMs - before < 0.1 * window.TotalMilliseconds)
            {
                return;
            }
        }

        Console.WriteLine("  (the server was still busy 30 s after the warm-up; measuring anyway)");
    }

    private Task<RawPhase> LoadAsync(Traffic traffic, Scenario scenario, TimeSpan duration, int seed, CancellationToken ct) =>
        scenario.Rate is { } rate
            ? LoadPhase.OpenLoopAsync(traffic, scenario.Mix, rate, duration, settings.Limits, seed, ct)
            : LoadPhase.ClosedLoopAsync(traffic, scenario.Mix, scenario.Connections!.Value, duration, settings.Limits, seed, ct);
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Matching.LoadTest;

/// <summary>A latency percentile; <see cref="Censored"/> when it falls on a request that got no answer, so the value is only a lower bound.</summary>
public sealed record Percentile(double Ms, bool Censored)
{
    public override string ToString() => (Censored ? "≥" : "") + Ms.ToString(Ms < 10 ? "0.00" : Ms < 100 ? "0.0" : "#,0", CultureInfo.InvariantCulture);
}

/// <summary>Latency of one kind of request in a phase.</summary>
public sealed record LatencySummary(int Count, Percentile? P50, Percentile? P99, Percentile? P999)
{
    /// <summary>Exact percentiles (nearest rank) over every request of the kind, answered or not.</summary>
    public static LatencySummary Of(IEnumerable<Sample> samples)
    {
        var sorted = samples.OrderBy(s => s.LatencyMs).ToArray();
        if (sorted.Length == 0)
        {
            return new LatencySummary(0, null, null, null);
        }

        // Recorded latencies of unanswered requests are lower bounds, so a percentile is exact only
        // when no unanswered request ranks at or below it.
        var firstCensored = Array.FindIndex(sorted, s => Outcome.IsCensored(s.Status));

        Percentile At(double q)
        {
            var rank = Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1);
            return new Percentile(sorted[rank].LatencyMs, firstCensored >= 0 && firstCensored <= rank);
        }

        return new LatencySummary(sorted.Length, At(0.50), At(0.99), At(0.999));
    }
}

/// <summary>What the server spent during a phase.</summary>
/// <param name="CpuMs">User + system CPU of the server process over the phase (/proc/PID/stat).</param>
/// <param name="AllocatedBytes">Managed bytes allocated by the server over the phase (System.Runtime meter), or null when unavailable.</param>
/// <param name="Gen0">Gen 0 GCs over the phase (null when the runtime counters were unavailable).</param>
/// <param name="Gen1">Gen 1 GCs over the phase.</param>
/// <param name="Gen2">Gen 2 GCs over the phase.</param>
/// <param name="GcPauseMs">Time the GC paused the server over the phase.</param>
/// <param name="RssMiB">VmRSS at the end of the phase.</param>
/// <param name="PeakRssMiB">VmHWM over the phase (since the phase began when clear_refs was writable, else since start).</param>
public sealed record ServerCost(double CpuMs, double? AllocatedBytes, int? Gen0, int? Gen1, int? Gen2, double? GcPauseMs, double RssMiB, double PeakRssMiB);

/// <summary>One scenario's figures on one system.</summary>
public sealed record PhaseResult(
    string Scenario,
    string Mix,
    double? OfferedRate,
    int? Connections,
    double Seconds,
    int Requests,
    int Succeeded,
    int Matches,
    int Writes,
    IReadOnlyDictionary<string, int> Errors,
    int Queued,
    double MaxDispatchLagMs,
    long Substituted,
    LatencySummary MatchLatency,
    LatencySummary WriteLatency,
    ServerCost Cost)
{
    public double AchievedPerSecond => Succeeded / Seconds;

    public double MatchesPerSecond => Matches / Seconds;

    public int ErrorCount => Errors.Values.Sum();

    public double? CpuMsPerMatch => Matches > 0 ? Cost.CpuMs / Matches : null;

    public double? CpuMsPerRequest => Succeeded > 0 ? Cost.CpuMs / Succeeded : null;

    public double? KiBPerMatch => Matches > 0 && Cost.AllocatedBytes is { } b ? b / 1024 / Matches : null;

    public double? KiBPerRequest => Succeeded > 0 && Cost.AllocatedBytes is { } b ? b / 1024 / Succeeded : null;

    public static PhaseResult From(string scenario, TrafficMix mix, double? rate, int? connections, RawPhase raw, ServerCost cost)
    {
        var samples = raw.Samples;
        var errors = samples.Where(s => !Outcome.IsSuccess(s.Status))
            .GroupBy(s => $"{Outcome.Name(s.Status)} {s.Kind.ToString().ToLowerInvariant()}")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        return new PhaseResult(
            scenario, mix.Name, rate, connections, raw.Seconds, samples.Count,
            samples.Count(s => Outcome.IsSuccess(s.Status)),
            samples.Count(s => s.Kind == RequestKind.Match && Outcome.IsSuccess(s.Status)),
            samples.Count(s => s.Kind != RequestKind.Match && Outcome.IsSuccess(s.Status)),
            errors, raw.Queued, raw.MaxDispatchLagMs, raw.Substituted,
            LatencySummary.Of(samples.Where(s => s.Kind == RequestKind.Match)),
            LatencySummary.Of(samples.Where(s => s.Kind != RequestKind.Match)),
            cost);
    }
}

/// <summary>How the system under test was set up, as measured through its API.</summary>
public sealed record SetupSummary(
    int Therapists, int Imported, double ImportSeconds, string? ServingModel, int? Trees,
    int? Considered, int? Eligible, int? EligibleAfter, IReadOnlyDictionary<string, int>? ExcludedBy);

/// <summary>The server at rest after the run.</summary>
/// <param name="CpuMsPerSecond">CPU time per second with no request arriving.</param>
/// <param name="KiBPerSecond">Managed allocations per second with no request arriving (includes one counter reading's own cost).</param>
/// <param name="ProbeKiB">What two back-to-back counter readings allocate in the server: the bias in every phase's allocation figure.</param>
public sealed record IdleCost(double CpuMsPerSecond, double? KiBPerSecond, double? ProbeKiB);

/// <summary>Every figure of one system in the run.</summary>
public sealed record SystemResult(
    string Name, string Kind, string Description, int Pid, IdleCost Idle,
    double RssMiBAtEnd, double PeakRssMiB, SetupSummary? Setup, IReadOnlyList<PhaseResult> Phases)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

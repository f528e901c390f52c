using System.Globalization;
using System.Text;

namespace Matching.LoadTest;

/// <summary>The run's tables, as aligned text for the terminal or as markdown for the README.</summary>
public static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>One line per finished phase, printed while the run goes on.</summary>
    public static string Line(PhaseResult p) =>
        $"{p.Scenario,-22} {N(p.AchievedPerSecond)} req/s, {N(p.MatchesPerSecond)} matches/s, match p50/p99/p99.9 {p.MatchLatency.P50}/{p.MatchLatency.P99}/{p.MatchLatency.P999} ms, " +
        $"errors {p.ErrorCount}, CPU {N(p.CpuMsPerMatch)} ms/match, {N(p.KiBPerMatch)} KB/match, RSS {N(p.Cost.RssMiB)} MiB";

    public static string Render(IReadOnlyList<SystemResult> systems, SeedSummary? seed, bool markdown)
    {
        var text = new StringBuilder();
        var anchor = systems.FirstOrDefault(s => s.Kind == "anchor");
        if (seed is not null)
        {
            text.AppendLine(Para(markdown,
                $"Seed history: {seed.HistoryTherapists:N0} therapists, {seed.Clients:N0} simulated clients (seed {seed.Seed}), {seed.Shortlists:N0} shortlists, " +
                $"{seed.Ratings:N0} alliance ratings, {seed.Outcomes:N0} outcome events; model {seed.ModelVersion} with {seed.Trees} trees " +
                $"(gate: {seed.Decision}; {seed.Reason})."));
        }

        foreach (var system in systems)
        {
            text.AppendLine(Heading(markdown, $"{system.Name}: {system.Description}"));
            if (system.Setup is { } setup)
            {
                text.AppendLine(Para(markdown,
                    $"{setup.Imported:N0} therapists imported through the API in {setup.ImportSeconds:0.0} s; serving {setup.ServingModel ?? "unknown"} " +
                    $"({(setup.Trees is { } t ? $"{t} trees" : "tree count unknown")}); the standard request leaves {setup.Eligible:N0} eligible of {setup.Considered:N0} considered " +
                    $"({setup.EligibleAfter:N0} after the run); excluded by {DirectorySetup.Describe(setup.ExcludedBy)}."));
            }

            text.AppendLine(Para(markdown,
                $"Idle after the run: {system.Idle.CpuMsPerSecond:0.0} CPU ms/s, {N(system.Idle.KiBPerSecond)} KB/s allocated; a phase's pair of counter readings allocates " +
                $"{N(system.Idle.ProbeKiB)} KB in the server by itself. RSS at the end {system.RssMiBAtEnd:0} MiB, peak {system.PeakRssMiB:0} MiB (from start-up on, the import included)."));
            text.AppendLine(Table(markdown,
                ["scenario", "req/s", "matches/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "CPU ms/match", "KB alloc/match", "RSS MiB"],
                system.Phases.Select(p => new[]
                {
                    p.Scenario, N(p.AchievedPerSecond), N(p.MatchesPerSecond), $"{p.MatchLatency.P50}", $"{p.MatchLatency.P99}", $"{p.MatchLatency.P999}",
                    p.ErrorCount.ToString("N0", Invariant), N(p.CpuMsPerMatch), N(p.KiBPerMatch), N(p.Cost.RssMiB),
                })));
            text.AppendLine(Table(markdown,
                ["scenario", "writes/s", "write p50/p99/p99.9 ms", "CPU ms/req", "KB/req", "GCs 0/1/2", "GC pause ms", "peak RSS MiB", "queued", "subst.", "lag ms"],
                system.Phases.Select(p => new[]
                {
                    p.Scenario, N(p.Writes / p.Seconds), p.WriteLatency.Count == 0 ? "-" : $"{p.WriteLatency.P50}/{p.WriteLatency.P99}/{p.WriteLatency.P999}",
                    N(p.CpuMsPerRequest), N(p.KiBPerRequest), p.Cost.Gen0 is null ? "-" : $"{p.Cost.Gen0}/{p.Cost.Gen1}/{p.Cost.Gen2}", N(p.Cost.GcPauseMs),
                    N(p.Cost.PeakRssMiB), p.Queued.ToString("N0", Invariant), p.Substituted.ToString("N0", Invariant), N(p.MaxDispatchLagMs),
                })));
            var errors = system.Phases.Where(p => p.ErrorCount > 0).Select(p => $"{p.Scenario}: {string.Join(", ", p.Errors.Select(e => $"{e.Key} ×{e.Value:N0}"))}").ToList();
            if (errors.Count > 0)
            {
                text.AppendLine(Para(markdown, "Errors (status and request kind): " + string.Join("; ", errors) + "."));
            }

            if (anchor is not null && system != anchor)
            {
                text.AppendLine(Heading(markdown, $"{system.Name} as a multiple of the anchor (same scenario, same run)", level: 3));
                text.AppendLine(Table(markdown,
                    ["scenario", "req/s", "matches/s", "p50", "p99", "p99.9", "CPU/match", "alloc/match", "RSS"],
                    system.Phases.Select(p => Ratios(p, anchor.Phases.FirstOrDefault(a => a.Scenario == p.Scenario)))));
            }
        }

        if (anchor is not null && systems.Count > 1)
        {
            text.AppendLine(Heading(markdown, "Targets, as multiples of the anchor"));
            text.AppendLine(Targets(systems, anchor, markdown));
        }

        return text.ToString();
    }

    private static string[] Ratios(PhaseResult p, PhaseResult? a) =>
    [
        p.Scenario,
        X(p.AchievedPerSecond, a?.AchievedPerSecond), X(p.MatchesPerSecond, a?.MatchesPerSecond),
        X(p.MatchLatency.P50?.Ms, a?.MatchLatency.P50?.Ms), X(p.MatchLatency.P99?.Ms, a?.MatchLatency.P99?.Ms), X(p.MatchLatency.P999?.Ms, a?.MatchLatency.P999?.Ms),
        X(p.CpuMsPerMatch, a?.CpuMsPerMatch), X(p.KiBPerMatch, a?.KiBPerMatch), X(p.Cost.RssMiB, a?.Cost.RssMiB),
    ];

    /// <summary>The quantities the issue judges by, for each system beside the anchor's, and each as a multiple of the anchor's.</summary>
    private static string Targets(IReadOnlyList<SystemResult> systems, SystemResult anchor, bool markdown)
    {
        var rows = new List<(string Label, Func<SystemResult, double?> Value, string Unit)>
        {
            ("CPU per match, closed 16 match-only", s => Phase(s, "closed", "match-only")?.CpuMsPerMatch, "ms"),
            ("allocated per match, closed 16 match-only", s => Phase(s, "closed", "match-only")?.KiBPerMatch, "KB"),
            ("match p99 under mixed load at 100/s", s => Phase(s, "open 100/s", "mixed")?.MatchLatency.P99?.Ms, "ms"),
            ("mixed throughput as % of match-only, closed 16 (req/s)", s => MixedShare(s), "%"),
            ("matches/s match-only at 16 connections", s => Phase(s, "closed", "match-only")?.MatchesPerSecond, "/s"),
            ("RSS at the end of the run", s => s.RssMiBAtEnd, "MiB"),
            ("peak RSS over the run", s => s.PeakRssMiB, "MiB"),
        };
        var others = systems.Where(s => s != anchor).ToList();
        var header = new List<string> { "quantity", $"{anchor.Name}" };
        foreach (var s in others)
        {
            header.Add(s.Name);
            header.Add($"{s.Name} ×anchor");
        }

        if (others.Count == 2)
        {
            header.Add($"{others[1].Name} / {others[0].Name}");
        }

        var table = rows.Select(r =>
        {
            var cells = new List<string> { r.Label, $"{N(r.Value(anchor))} {r.Unit}" };
            foreach (var s in others)
            {
                cells.Add($"{N(r.Value(s))} {r.Unit}");
                cells.Add(X(r.Value(s), r.Value(anchor)));
            }

            if (others.Count == 2)
            {
                cells.Add(X(r.Value(others[1]), r.Value(others[0])));
            }

            return cells.ToArray();
        });
        var censored = systems.Any(s => Phase(s, "open 100/s", "mixed")?.MatchLatency.P99?.Censored == true)
            ? Para(markdown, "A p99 marked ≥ fell on requests that were never answered (dropped, unfinished or timed out): it is a lower bound.")
            : "";
        return Table(markdown, [.. header], table) + censored;
    }

    private static PhaseResult? Phase(SystemResult s, string shape, string mix) =>
        s.Phases.FirstOrDefault(p => p.Scenario.StartsWith(shape, StringComparison.Ordinal) && p.Mix == mix);

    private static double? MixedShare(SystemResult s) =>
        Phase(s, "closed", "mixed") is { } mixed && Phase(s, "closed", "match-only") is { } only && only.AchievedPerSecond > 0
            ? 100 * mixed.AchievedPerSecond / only.AchievedPerSecond
            : null;

    private static string X(double? value, double? anchor) =>
        value is { } v && anchor is { } a && a > 0 ? (v / a).ToString(v / a < 0.1 ? "0.0000" : v / a < 10 ? "0.00" : "0.0", Invariant) + "×" : "-";

    public static string N(double? value) => value switch
    {
        null => "-",
        { } v when double.IsNaN(v) || double.IsInfinity(v) => "-",
        0 => "0",
        < 1 and > -1 => value.Value.ToString("0.000", Invariant),
        < 10 and > -10 => value.Value.ToString("0.00", Invariant),
        < 100 and > -100 => value.Value.ToString("0.0", Invariant),
        _ => value.Value.ToString("#,0", Invariant),
    };

    private static string Heading(bool markdown, string title, int level = 2) =>
        markdown ? $"\n{new string('#', level)} {title}\n" : $"\n{(level == 2 ? "==" : "--")} {title}";

    private static string Para(bool markdown, string text) => markdown ? text + "\n" : text;

    private static string Table(bool markdown, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var text = new StringBuilder();
        if (markdown)
        {
            text.AppendLine("| " + string.Join(" | ", header) + " |");
            text.AppendLine("|" + string.Join("|", header.Select((_, i) => i == 0 ? "---" : "---:")) + "|");
            foreach (var row in all)
            {
                text.AppendLine("| " + string.Join(" | ", row) + " |");
            }

            return text.ToString();
        }

        var widths = header.Select((h, i) => Math.Max(h.Length, all.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        string Row(string[] cells) => string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])));
        text.AppendLine(Row(header));
        foreach (var row in all)
        {
            text.AppendLine(Row(row));
        }

        return text.ToString();
    }
}

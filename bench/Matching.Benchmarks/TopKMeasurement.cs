using System.Diagnostics;
using System.Globalization;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Benchmarks;

/// <summary>What the early exit walked, per candidate, against scoring every candidate in full.</summary>
/// <param name="Survivors">Mean survivors per match.</param>
/// <param name="Trees">Mean trees walked per candidate (the model has <paramref name="TreeCount"/>).</param>
/// <param name="Visits">Mean internal-node visits per candidate.</param>
/// <param name="FullVisits">Mean internal-node visits per candidate when every candidate is scored in full.</param>
/// <param name="TreeCount">Trees in the model.</param>
internal sealed record PruningStatistics(double Survivors, double Trees, double Visits, double FullVisits, int TreeCount)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"survivors {Survivors:0.00} per match; per candidate {Trees:0.0} of {TreeCount} trees and {Visits:0.0} of {FullVisits:0.0} node visits ({Visits / FullVisits:P1})");
}

/// <summary>
/// <c>topk [--clients 40] [--candidates 1000] [--keep 10] [--grid]</c>: how much the early-exit
/// scorer prunes on the realistic model and candidates (survivors, trees and node visits per
/// candidate: exact counts, checked against a full sort with every kernel) and timings of scoring
/// everything against scoring the top k, with the traversal kernel (the scorer before leaf
/// bitvectors, kept as the anchor) and the kernel this machine picks, in the same run;
/// <c>--grid</c> tries a range of schedules.
/// </summary>
internal static class TopKMeasurement
{
    public static int Run(string[] args)
    {
        var clients = 40;
        var candidates = RealisticRanking.DefaultCandidates;
        var keep = 10;
        var grid = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--clients" when i + 1 < args.Length:
                    clients = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--candidates" when i + 1 < args.Length:
                    candidates = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--keep" when i + 1 < args.Length:
                    keep = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--grid":
                    grid = true;
                    break;
                default:
                    Console.Error.WriteLine("usage: topk [--clients 40] [--candidates 1000] [--keep 10] [--grid]");
                    return 2;
            }
        }

        var data = RealisticRanking.Create(clients, candidates, Console.Error.WriteLine);
        var model = data.Model.Model;
        var fast = model.PreferredKernel;
        Console.WriteLine(Invariant($"model: {model.TreeCount} trees, baseline weight {data.Model.BaselineWeight}; {data.Queries.Count} clients, {data.CandidatesPerQuery} candidates each (eligible in the {data.DirectorySize:N0} directory: median {data.Eligible.Order().ElementAt(data.Eligible.Count / 2)}, min {data.Eligible.Min()}, max {data.Eligible.Max()}); keep {keep}; kernel {fast}"));

        var schedules = grid
            ? (from leaders in new[] { 1, 2, 5, 10 }
               from first in new[] { 0, 10, 20, 40 }
               from block in new[] { 5, 10, 20 }
               select new PruningSchedule(first, block, leaders)).ToList()
            : [PruningSchedule.Default];
        Console.WriteLine($"| first block | block | leaders per kept | survivors | trees walked / candidate | node visits / candidate | share of score-all visits | µs score-all, traversal | µs score-all, {fast} | µs top-k, traversal | µs top-k, {fast} | top-k traversal / {fast} |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var schedule in schedules)
        {
            var s = Count(data, schedule, keep);
            var t = Time(data, schedule, keep, fast);
            Console.WriteLine(Invariant($"| {schedule.FirstBlock} | {schedule.Block} | {schedule.LeadersPerKept} | {s.Survivors:0.00} | {s.Trees:0.0} | {s.Visits:0.0} | {s.Visits / s.FullVisits:P1} | {t.AllTraversal:0} | {t.All:0} | {t.TopKTraversal:0} | {t.TopK:0} | {t.TopKTraversal / t.TopK:0.00} |"));
        }

        return 0;
    }

    /// <summary>
    /// Runs the early exit on every match with every kernel, checks each against a full sort, and
    /// counts what it walked (the same for every kernel: they make the same decisions).
    /// </summary>
    public static PruningStatistics Count(RealisticRanking data, PruningSchedule schedule, int keep)
    {
        var model = data.Model.Model;
        var rows = data.CandidatesPerQuery;
        var n = PairFeatures.Count;
        var offsets = new double[rows];
        var scores = new double[rows];
        var exact = new double[rows];
        var survivors = new int[rows];
        var walks = new int[rows];
        var firstWalks = new int[rows];
        var kernels = Kernels(model);
        long survivorCount = 0, treeWalks = 0, visits = 0, fullVisits = 0;
        foreach (var q in data.Queries)
        {
            Offsets(data, q, offsets);
            model.Score(q, rows, exact, ScoringKernel.Traversal);
            for (var r = 0; r < rows; r++)
            {
                exact[r] += offsets[r];
            }

            for (var k = 0; k < kernels.Length; k++)
            {
                var m = model.ScoreCandidates(q, rows, offsets, keep, scores, survivors, schedule, walks, kernels[k]);
                Check(exact, scores, survivors.AsSpan(0, m), keep, kernels[k]);
                if (k == 0)
                {
                    survivorCount += m;
                    walks.CopyTo(firstWalks, 0);
                }
                else if (!walks.AsSpan().SequenceEqual(firstWalks))
                {
                    throw new InvalidOperationException($"{kernels[k]} walked other trees than {kernels[0]}.");
                }
            }

            fullVisits += model.CountNodeVisits(q, rows);
            for (var r = 0; r < rows; r++)
            {
                treeWalks += walks[r];
                visits += model.NodeVisitsInFirstTrees(q.AsSpan(r * n, n), walks[r]);
            }
        }

        var candidates = (double)(data.Queries.Count * rows);
        return new PruningStatistics(survivorCount / (double)data.Queries.Count, treeWalks / candidates, visits / candidates, fullVisits / candidates, model.TreeCount);
    }

    /// <summary>The traversal and, when this machine and model allow it, the kernel they prefer.</summary>
    private static ScoringKernel[] Kernels(LambdaMartModel model) =>
        model.PreferredKernel == ScoringKernel.Traversal ? [ScoringKernel.Traversal] : [ScoringKernel.Traversal, model.PreferredKernel];

    // The offsets LearnedRankingModel passes: the rule-based prior times the baseline weight.
    private static double[] Offsets(RealisticRanking data, float[] q, double[] offsets)
    {
        RuleBasedScorer.Instance.Score(q, data.CandidatesPerQuery, offsets);
        for (var r = 0; r < offsets.Length; r++)
        {
            offsets[r] = data.Model.BaselineWeight * offsets[r];
        }

        return offsets;
    }

    private static void Check(double[] exact, double[] scores, ReadOnlySpan<int> survivors, int keep, ScoringKernel kernel)
    {
        var kth = exact.OrderDescending().ElementAt(Math.Min(keep, exact.Length) - 1);
        var expected = Enumerable.Range(0, exact.Length).Where(r => exact[r] >= kth).ToArray();
        if (!survivors.SequenceEqual(expected))
        {
            throw new InvalidOperationException($"The early exit ({kernel}) kept other rows than the full sort's top k.");
        }

        foreach (var r in survivors)
        {
            if (BitConverter.DoubleToInt64Bits(scores[r]) != BitConverter.DoubleToInt64Bits(exact[r]))
            {
                throw new InvalidOperationException($"Row {r} scored {scores[r]:R} early-exit ({kernel}) and {exact[r]:R} in full.");
            }
        }
    }

    /// <summary>
    /// Microseconds per match of the trees alone (the prior's offsets are computed beforehand):
    /// every row in full, and the early exit with this schedule, each with the traversal and with
    /// <paramref name="fast"/>. The four take turns within each pass over every match, so a busy
    /// moment of the machine slows all of them alike; each figure is the best of seven passes
    /// after a warm-up pass. Rough: the BenchmarkDotNet classes are the measurement to trust.
    /// </summary>
    private static (double AllTraversal, double All, double TopKTraversal, double TopK) Time(RealisticRanking data, PruningSchedule schedule, int keep, ScoringKernel fast)
    {
        var model = data.Model.Model;
        var rows = data.CandidatesPerQuery;
        var offsets = data.Queries.Select(q => Offsets(data, q, new double[rows])).ToList();
        var scores = new double[rows];
        var survivors = new int[rows];
        var variants = new Action<int>[]
        {
            q => model.Score(data.Queries[q], rows, scores, ScoringKernel.Traversal),
            q => model.Score(data.Queries[q], rows, scores, fast),
            q => model.ScoreCandidates(data.Queries[q], rows, offsets[q], keep, scores, survivors, schedule, [], ScoringKernel.Traversal),
            q => model.ScoreCandidates(data.Queries[q], rows, offsets[q], keep, scores, survivors, schedule, [], fast),
        };
        var best = variants.Select(_ => double.MaxValue).ToArray();
        for (var pass = 0; pass < 8; pass++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var watch = Stopwatch.StartNew();
                for (var q = 0; q < data.Queries.Count; q++)
                {
                    variants[v](q);
                }

                if (pass > 0)
                {
                    best[v] = Math.Min(best[v], watch.Elapsed.TotalMicroseconds / data.Queries.Count);
                }
            }
        }

        return (best[0], best[1], best[2], best[3]);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

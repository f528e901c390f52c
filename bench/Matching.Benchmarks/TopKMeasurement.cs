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
/// <c>topk [--clients 40] [--keep 10] [--grid]</c>: how much the early-exit scorer prunes on the
/// realistic model and candidates (survivors, trees and node visits per candidate: exact counts,
/// checked against a full sort) and rough timings of scoring everything against scoring the top
/// k; <c>--grid</c> tries a range of schedules.
/// </summary>
internal static class TopKMeasurement
{
    public static int Run(string[] args)
    {
        var clients = 40;
        var keep = 10;
        var grid = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--clients" when i + 1 < args.Length:
                    clients = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--keep" when i + 1 < args.Length:
                    keep = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--grid":
                    grid = true;
                    break;
                default:
                    Console.Error.WriteLine("usage: topk [--clients 40] [--keep 10] [--grid]");
                    return 2;
            }
        }

        var data = RealisticRanking.Create(clients, Console.Error.WriteLine);
        var model = data.Model.Model;
        Console.WriteLine(Invariant($"model: {model.TreeCount} trees, baseline weight {data.Model.BaselineWeight}; {data.Queries.Count} clients, {RealisticRanking.CandidatesPerQuery} candidates each (eligible in the 10,000 directory: median {data.Eligible.Order().ElementAt(data.Eligible.Count / 2)}, min {data.Eligible.Min()}, max {data.Eligible.Max()}); keep {keep}"));

        var schedules = grid
            ? (from leaders in new[] { 1, 2, 5, 10 }
               from first in new[] { 0, 10, 20, 40 }
               from block in new[] { 5, 10, 20 }
               select new PruningSchedule(first, block, leaders)).ToList()
            : [PruningSchedule.Default];
        Console.WriteLine("| first block | block | leaders per kept | survivors | trees walked / candidate | node visits / candidate | share of score-all visits | µs score-all | µs top-k |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var schedule in schedules)
        {
            var s = Count(data, schedule, keep);
            var (all, topK) = Time(data, schedule, keep);
            Console.WriteLine(Invariant($"| {schedule.FirstBlock} | {schedule.Block} | {schedule.LeadersPerKept} | {s.Survivors:0.00} | {s.Trees:0.0} | {s.Visits:0.0} | {s.Visits / s.FullVisits:P1} | {all:0} | {topK:0} |"));
        }

        return 0;
    }

    /// <summary>Runs the early exit on every match, checks it against a full sort, and counts what it walked.</summary>
    public static PruningStatistics Count(RealisticRanking data, PruningSchedule schedule, int keep)
    {
        var model = data.Model.Model;
        var rows = RealisticRanking.CandidatesPerQuery;
        var n = PairFeatures.Count;
        var offsets = new double[rows];
        var scores = new double[rows];
        var exact = new double[rows];
        var survivors = new int[rows];
        var walks = new int[rows];
        long survivorCount = 0, treeWalks = 0, visits = 0, fullVisits = 0;
        foreach (var q in data.Queries)
        {
            var m = model.ScoreCandidates(q, rows, Offsets(data, q, offsets), keep, scores, survivors, schedule, walks);
            data.Model.Score(q, rows, exact);
            Check(exact, scores, survivors.AsSpan(0, m), keep);
            survivorCount += m;
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

    // The offsets LearnedRankingModel passes: the rule-based prior times the baseline weight.
    private static double[] Offsets(RealisticRanking data, float[] q, double[] offsets)
    {
        RuleBasedScorer.Instance.Score(q, RealisticRanking.CandidatesPerQuery, offsets);
        for (var r = 0; r < offsets.Length; r++)
        {
            offsets[r] = data.Model.BaselineWeight * offsets[r];
        }

        return offsets;
    }

    private static void Check(double[] exact, double[] scores, ReadOnlySpan<int> survivors, int keep)
    {
        var kth = exact.OrderDescending().ElementAt(Math.Min(keep, exact.Length) - 1);
        var expected = Enumerable.Range(0, exact.Length).Where(r => exact[r] >= kth).ToArray();
        if (!survivors.SequenceEqual(expected))
        {
            throw new InvalidOperationException("The early exit kept other rows than the full sort's top k.");
        }

        foreach (var r in survivors)
        {
            if (BitConverter.DoubleToInt64Bits(scores[r]) != BitConverter.DoubleToInt64Bits(exact[r]))
            {
                throw new InvalidOperationException($"Row {r} scored {scores[r]:R} early-exit and {exact[r]:R} in full.");
            }
        }
    }

    /// <summary>
    /// Microseconds per match of LearnedRankingModel.Score and of the early exit with this
    /// schedule: the best of seven passes over every match after a warm-up pass. Rough: the
    /// BenchmarkDotNet class is the measurement to trust.
    /// </summary>
    private static (double All, double TopK) Time(RealisticRanking data, PruningSchedule schedule, int keep)
    {
        var rows = RealisticRanking.CandidatesPerQuery;
        var offsets = new double[rows];
        var scores = new double[rows];
        var survivors = new int[rows];
        var all = Best(q => data.Model.Score(q, rows, scores));
        var topK = Best(q => data.Model.Model.ScoreCandidates(q, rows, Offsets(data, q, offsets), keep, scores, survivors, schedule, []));
        return (all, topK);

        double Best(Action<float[]> score)
        {
            var best = double.MaxValue;
            for (var pass = 0; pass < 8; pass++)
            {
                var watch = Stopwatch.StartNew();
                foreach (var q in data.Queries)
                {
                    score(q);
                }

                if (pass > 0)
                {
                    best = Math.Min(best, watch.Elapsed.TotalMicroseconds / data.Queries.Count);
                }
            }

            return best;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

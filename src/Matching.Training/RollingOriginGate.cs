using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Training;

/// <summary>One time fold of a rolling-origin evaluation.</summary>
/// <param name="From">Start of the fold's test period; the challenger was trained on everything before.</param>
/// <param name="Queries">Cohort queries tested.</param>
/// <param name="Challenger">Mean NDCG@10 of the challenger on them.</param>
/// <param name="Champion">Mean NDCG@10 of the champion on them.</param>
public sealed record FoldResult(DateTimeOffset From, int Queries, double Challenger, double Champion);

/// <summary>What the rolling-origin gate measured: the challenger's NDCG@10 gain over the champion, with its 95% interval.</summary>
/// <param name="Gain">Mean per-query gain over every fold's queries.</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end.</param>
/// <param name="Queries">Queries over all folds.</param>
/// <param name="Folds">Each fold.</param>
public sealed record GateEstimate(double Gain, double Low, double High, int Queries, IReadOnlyList<FoldResult> Folds);

/// <summary>
/// A promotion gate that uses more of a small history than one holdout: rolling-origin time
/// folds. The newest <see cref="TestFraction"/> of the labeled matches is cut into
/// <see cref="Folds"/> consecutive periods; for each, a challenger is trained on every match
/// before it and it and the champion are scored on its cohort queries. The per-query NDCG@10
/// differences of all folds give the mean gain and a 95% interval (normal approximation over
/// queries), instead of one point from a few dozen queries.
/// </summary>
public sealed record RollingOriginGate
{
    /// <summary>Time folds. Default 4.</summary>
    public int Folds { get; init; } = 4;

    /// <summary>Share of the labeled matches, newest, tested across the folds. Default 0.5.</summary>
    public double TestFraction { get; init; } = 0.5;

    /// <summary>Estimates the challenger's gain; <paramref name="train"/> trains a challenger on the matches it is given.</summary>
    /// <exception cref="InvalidOperationException">No fold had a query to test.</exception>
    public GateEstimate Estimate(IReadOnlyList<LabeledPair> pairs, IRankingModel champion, Func<IReadOnlyList<LabeledPair>, IRankingModel> train, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(champion);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Folds);
        if (!(TestFraction > 0 && TestFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, "The tested share is in (0, 1).");
        }

        var gains = new List<double>();
        var folds = new List<FoldResult>();
        for (var f = 0; f < Folds; f++)
        {
            ct.ThrowIfCancellationRequested();
            var from = TrainingSet.CutoffAt(pairs, 1 - TestFraction + (TestFraction * f / Folds));
            var to = TrainingSet.CutoffAt(pairs, 1 - TestFraction + (TestFraction * (f + 1) / Folds));
            var before = pairs.Where(p => p.ShownAt < from).ToList();
            var test = pairs.Where(p => p.ShownAt >= from && (f == Folds - 1 || p.ShownAt < to)).ToList();
            var data = TrainingSet.Build(test, GroupingPolicy.Cohort);
            if (data.QueryCount == 0 || before.Count < TrainingPipeline.MinimumLabeledMatches)
            {
                continue;
            }

            var challenger = train(before);
            var challengerNdcg = PerQuery(challenger, data);
            var championNdcg = PerQuery(champion, data);
            for (var q = 0; q < data.QueryCount; q++)
            {
                gains.Add(challengerNdcg[q] - championNdcg[q]);
            }

            folds.Add(new FoldResult(from, data.QueryCount, challengerNdcg.Average(), championNdcg.Average()));
        }

        if (gains.Count == 0)
        {
            throw new InvalidOperationException("No time fold had enough history before it and a query to test.");
        }

        var mean = gains.Average();
        var sd = gains.Count > 1 ? Math.Sqrt(gains.Sum(g => (g - mean) * (g - mean)) / (gains.Count - 1)) : 0;
        var half = 1.96 * sd / Math.Sqrt(gains.Count);
        return new GateEstimate(mean, mean - half, mean + half, gains.Count, folds);
    }

    private static double[] PerQuery(IRankingModel model, RankingDataset data)
    {
        var scores = new double[data.Rows];
        model.Score(data.Features, data.Rows, scores);
        var result = new double[data.QueryCount];
        for (var q = 0; q < data.QueryCount; q++)
        {
            var start = data.QueryBoundaries[q];
            var end = data.QueryBoundaries[q + 1];
            result[q] = Ndcg.At(scores.AsSpan(start, end - start), data.Labels.AsSpan(start, end - start), 10);
        }

        return result;
    }
}

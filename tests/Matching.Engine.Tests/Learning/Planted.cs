using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Learning;

/// <summary>
/// A synthetic ranking problem in the pair-feature schema where one planted feature, modality
/// fit, drives the grade and every other feature is noise; and a small real LambdaMART trained
/// on it once for the whole test run.
/// </summary>
internal static class Planted
{
    /// <summary>The feature the grade is made from.</summary>
    public const int Feature = PairFeatures.Index.ModalityFit;

    /// <summary>Few, shallow trees: enough to learn one feature, fast enough to train in milliseconds.</summary>
    public static LambdaMartOptions Options { get; } = new()
    {
        Trees = 8,
        Leaves = 4,
        LearningRate = 0.3,
        MinLeafRows = 5,
        MinLeafHessian = 0,
        BaggingFraction = 1,
    };

    public static RankingDataset Train { get; } = Dataset(queries: 40, seed: 1);

    public static RankingDataset Holdout { get; } = Dataset(queries: 20, seed: 2);

    public static LambdaMartModel Model { get; } = LambdaMartTrainer.Train(Train, null, Options);

    /// <summary>The model with placeholder scales, for measuring its scales.</summary>
    public static LearnedRankingModel Unscaled { get; } = new("planted/1", Model, new Dictionary<FeatureGroup, double>());

    public static LearnedRankingModel Learned { get; } = new("planted/1", Model, LearnedRankingModel.MeasureScales(Unscaled, Train));

    /// <summary>
    /// Queries of ten rows; each feature uniform in [0, 1]; the grade is the planted feature cut
    /// into five equal bands (0-4).
    /// </summary>
    public static RankingDataset Dataset(int queries, int seed, IReadOnlyList<string>? featureNames = null)
    {
        const int perQuery = 10;
        var rng = new SimulationRandom((ulong)seed);
        var n = PairFeatures.Count;
        var rows = queries * perQuery;
        var features = new float[rows * n];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < n; f++)
            {
                features[(r * n) + f] = (float)rng.NextDouble();
            }

            labels[r] = Math.Min(4, (int)(features[(r * n) + Feature] * 5));
        }

        return new RankingDataset(
            features,
            rows,
            n,
            labels,
            RankingDataset.BoundariesFromGroupSizes(Enumerable.Repeat(perQuery, queries).ToList()),
            featureNames ?? PairFeatures.Schema.Select(f => f.Name).ToList());
    }
}

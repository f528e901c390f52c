using System.Diagnostics;
using Matching.Data;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;
using Matching.Training.MlNet;

namespace Matching.Training;

/// <summary>The labeled matches known at a moment, split by time.</summary>
/// <param name="AsOf">Feedback known up to this moment.</param>
/// <param name="Cutoff">Matches shown before it train; the rest are the holdout.</param>
/// <param name="Train">Training matches.</param>
/// <param name="Holdout">Holdout matches.</param>
public sealed record LabeledHistory(DateTimeOffset AsOf, DateTimeOffset Cutoff, IReadOnlyList<LabeledPair> Train, IReadOnlyList<LabeledPair> Holdout)
{
    /// <summary>The earliest match.</summary>
    public DateTimeOffset From => Train.Concat(Holdout).Select(p => p.ShownAt).DefaultIfEmpty(AsOf).Min();
}

/// <summary>A trained model with what it was trained on and how long it took.</summary>
/// <param name="Model">The model the engine serves.</param>
/// <param name="TrainRows">Rows fitted on.</param>
/// <param name="TrainQueries">Queries fitted on.</param>
/// <param name="ValidRows">Rows of the early-stopping period.</param>
/// <param name="ValidQueries">Queries of the early-stopping period.</param>
/// <param name="Duration">Whole training time, data preparation and export included.</param>
/// <param name="Trainer">Which trainer fitted it.</param>
/// <param name="SourceModel">The training library's own model file (ML.NET's zip), kept in the registry; null for the engine's own.</param>
public sealed record TrainedModel(LearnedRankingModel Model, int TrainRows, int TrainQueries, int ValidRows, int ValidQueries, TimeSpan Duration,
    RankingTrainer Trainer = RankingTrainer.LambdaMart, byte[]? SourceModel = null);

/// <summary>Loads labeled history from the store, trains, and evaluates.</summary>
public static class TrainingPipeline
{
    /// <summary>Too few labeled matches to train on.</summary>
    public const int MinimumLabeledMatches = 200;

    /// <summary>Labeled matches known at <paramref name="asOf"/>, split by time.</summary>
    /// <exception cref="InvalidOperationException">Fewer than <see cref="MinimumLabeledMatches"/> labeled matches.</exception>
    public static async Task<LabeledHistory> LoadAsync(FeedbackStore feedback, DateTimeOffset asOf, TrainingSettings settings, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentNullException.ThrowIfNull(settings);
        var pairs = (await feedback.LabeledPairsAsync(asOf, ct)).Where(p => AllianceLabel.Grade(p) is not null).ToList();
        if (pairs.Count < MinimumLabeledMatches)
        {
            throw new InvalidOperationException($"Only {pairs.Count} labeled matches up to {asOf:u}; at least {MinimumLabeledMatches} are needed to train.");
        }

        var cutoff = TrainingSet.CutoffAt(pairs, 1 - settings.HoldoutFraction);
        var (train, holdout) = TrainingSet.SplitByTime(pairs, cutoff);
        return new LabeledHistory(asOf, cutoff, train, holdout);
    }

    /// <summary>Trains the engine's LambdaMART; see <see cref="Train(IReadOnlyList{LabeledPair}, TrainingSettings, RankingTrainer, string, IProgress{IterationMetrics}?, CancellationToken)"/>.</summary>
    public static TrainedModel Train(IReadOnlyList<LabeledPair> pairs, TrainingSettings settings, string version, IProgress<IterationMetrics>? progress = null, CancellationToken ct = default)
        => Train(pairs, settings, RankingTrainer.LambdaMart, version, progress, ct);

    /// <summary>
    /// Trains with <paramref name="trainer"/> on <paramref name="pairs"/>, early-stopping on its
    /// newest <see cref="TrainingSettings.ValidationFraction"/>. Every trainer sees the same rows,
    /// labels and groups; ML.NET's models are exported to the engine and checked against ML.NET's
    /// own scores before they are returned.
    /// </summary>
    public static TrainedModel Train(IReadOnlyList<LabeledPair> pairs, TrainingSettings settings, RankingTrainer trainer, string version, IProgress<IterationMetrics>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(settings);
        var watch = Stopwatch.StartNew();
        var cutoff = TrainingSet.CutoffAt(pairs, 1 - settings.ValidationFraction);
        var (fit, valid) = TrainingSet.SplitByTime(pairs, cutoff);
        var fitData = TrainingSet.Build(fit, settings.Grouping, settings.PropensityClip);
        var validData = TrainingSet.Build(valid, settings.Grouping, settings.PropensityClip);
        if (fitData.QueryCount == 0)
        {
            throw new InvalidOperationException($"Grouping {settings.Grouping} leaves no query with two or more labeled matches.");
        }

        var hasValid = validData.QueryCount > 0;
        if (trainer != RankingTrainer.LambdaMart)
        {
            return TrainMlNet(fitData, validData, settings, trainer, version, watch);
        }

        var w = settings.BaselineWeight;
        var model = LambdaMartTrainer.Train(fitData, hasValid ? validData : null, settings.Model, progress, ct,
            w > 0 ? Prior(fitData, w) : null, w > 0 && hasValid ? Prior(validData, w) : null);
        var unscaled = new LearnedRankingModel(version, model, new Dictionary<FeatureGroup, double>(), w);
        var learned = new LearnedRankingModel(version, model, LearnedRankingModel.MeasureScales(unscaled, fitData), w);
        return new TrainedModel(learned, fitData.Rows, fitData.QueryCount, validData.Rows, validData.QueryCount, watch.Elapsed);
    }

    private static TrainedModel TrainMlNet(RankingDataset fitData, RankingDataset validData, TrainingSettings settings, RankingTrainer trainer, string version, Stopwatch watch)
    {
        var prior = settings.MlNetPrior;
        var asFeature = prior == MlNetPrior.Feature;
        var fit = asFeature ? WithPriorColumn(fitData) : fitData;
        var valid = asFeature ? WithPriorColumn(validData) : validData;
        Func<float[], float[]> served = asFeature ? row => LearnedRankingModel.AppendPrior(row, 1) : row => row;
        var trained = MlNetRanker.Train(fit, valid.QueryCount > 0 ? valid : null, trainer, settings.MlNet, ProbeRows(), served);

        // An offset is added after the trees, so ML.NET's reference scores (trees only) gain it too.
        var weight = prior == MlNetPrior.Offset ? settings.BaselineWeight : 0;
        var provenance = new ModelProvenance(RankingTrainers.Name(trainer), trained.Library);
        var reference = weight == 0 ? trained.Reference : trained.Reference with
        {
            Scores = [.. trained.Reference.Rows.Select((r, i) => trained.Reference.Scores[i] + (weight * RuleBased(r)))],
        };
        var unscaled = new LearnedRankingModel(version, trained.Trees, new Dictionary<FeatureGroup, double>(), weight, asFeature, provenance, reference);
        var learned = new LearnedRankingModel(version, trained.Trees, LearnedRankingModel.MeasureScales(unscaled, fitData), weight, asFeature, provenance, reference);
        return new TrainedModel(learned, fitData.Rows, fitData.QueryCount, validData.Rows, validData.QueryCount, watch.Elapsed, trainer, trained.Zip);
    }

    private static double RuleBased(float[] row)
    {
        var score = new double[1];
        RuleBasedScorer.Instance.Score(row, 1, score);
        return score[0];
    }

    private static RankingDataset WithPriorColumn(RankingDataset data) =>
        new(LearnedRankingModel.AppendPrior(data.Features, data.Rows), data.Rows, data.FeatureCount + 1, data.Labels, data.QueryBoundaries,
            [.. data.FeatureNames, LearnedRankingModel.PriorFeatureName], data.Weights);

    /// <summary>
    /// Synthetic rows on which an exported model must score as its training library does: every
    /// feature at 0, ½ and 1, and rows drawn uniformly from a fixed seed. Never a client's rows,
    /// because they are stored with the model.
    /// </summary>
    public static IReadOnlyList<float[]> ProbeRows()
    {
        var n = PairFeatures.Count;
        var rows = new List<float[]> { new float[n], Enumerable.Repeat(0.5f, n).ToArray(), Enumerable.Repeat(1f, n).ToArray() };
        var random = new Random(20261127);
        for (var i = 0; i < 61; i++)
        {
            rows.Add([.. Enumerable.Range(0, n).Select(_ => (float)random.NextDouble())]);
        }

        return rows;
    }

    private static double[] Prior(RankingDataset data, double weight)
    {
        var scores = new double[data.Rows];
        RuleBasedScorer.Instance.Score(data.Features, data.Rows, scores);
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] *= weight;
        }

        return scores;
    }

    /// <summary>A version name for a model trained at <paramref name="at"/> by run <paramref name="run"/>: unique even for two runs in one second.</summary>
    public static string VersionAt(DateTimeOffset at, Guid run) => VersionAt(at, run, RankingTrainer.LambdaMart);

    /// <summary>A version name naming the trainer: unique per run and trainer.</summary>
    public static string VersionAt(DateTimeOffset at, Guid run, RankingTrainer trainer) => $"{RankingTrainers.Name(trainer)}-{at.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{run.ToString("N")[..8]}";

    /// <summary>The rule-based baseline as an evaluated policy.</summary>
    public static EvaluatedPolicy Baseline { get; } = new(RuleBasedScorer.VersionName, RuleBasedScorer.Instance);
}

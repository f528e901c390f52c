using System.Diagnostics;
using Matching.Data;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

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
public sealed record TrainedModel(LearnedRankingModel Model, int TrainRows, int TrainQueries, int ValidRows, int ValidQueries, TimeSpan Duration);

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

    /// <summary>Trains on <paramref name="pairs"/>, early-stopping on its newest <see cref="TrainingSettings.ValidationFraction"/>.</summary>
    public static TrainedModel Train(IReadOnlyList<LabeledPair> pairs, TrainingSettings settings, string version, IProgress<IterationMetrics>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(settings);
        var watch = Stopwatch.StartNew();
        var cutoff = TrainingSet.CutoffAt(pairs, 1 - settings.ValidationFraction);
        var (fit, valid) = TrainingSet.SplitByTime(pairs, cutoff);
        var fitData = TrainingSet.Build(fit, settings.Grouping);
        var validData = TrainingSet.Build(valid, settings.Grouping);
        if (fitData.QueryCount == 0)
        {
            throw new InvalidOperationException($"Grouping {settings.Grouping} leaves no query with two or more labeled matches.");
        }

        var hasValid = validData.QueryCount > 0;
        var w = settings.BaselineWeight;
        var model = LambdaMartTrainer.Train(fitData, hasValid ? validData : null, settings.Model, progress, ct,
            w > 0 ? Prior(fitData, w) : null, w > 0 && hasValid ? Prior(validData, w) : null);
        var unscaled = new LearnedRankingModel(version, model, new Dictionary<FeatureGroup, double>(), w);
        var learned = new LearnedRankingModel(version, model, LearnedRankingModel.MeasureScales(unscaled, fitData), w);
        return new TrainedModel(learned, fitData.Rows, fitData.QueryCount, validData.Rows, validData.QueryCount, watch.Elapsed);
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
    public static string VersionAt(DateTimeOffset at, Guid run) => $"lambdamart-{at.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{run.ToString("N")[..8]}";

    /// <summary>The rule-based baseline as an evaluated policy.</summary>
    public static EvaluatedPolicy Baseline { get; } = new(RuleBasedScorer.VersionName, RuleBasedScorer.Instance);
}

using Matching.Engine.Allocation;
using Matching.Engine.Learning;
using Matching.Engine.Ranking;
using Matching.Training.MlNet;

namespace Matching.Training;

/// <summary>How a model is trained from the store. Defaults suit a few thousand labeled matches.</summary>
public sealed record TrainingSettings
{
    /// <summary>Share of the labeled matches, newest first, held out for evaluation. Default 0.2.</summary>
    public double HoldoutFraction { get; init; } = 0.2;

    /// <summary>Share of the training period, newest first, used for early stopping. Default 0.15.</summary>
    public double ValidationFraction { get; init; } = 0.15;

    /// <summary>How matches are grouped into queries. Default cohorts (see <see cref="GroupingPolicy.Cohort"/>).</summary>
    public GroupingPolicy Grouping { get; init; } = GroupingPolicy.Cohort;

    /// <summary>
    /// LambdaMART parameters. Labels are noisy (one session's reliability is about .77) and
    /// data are thousands of rows, not millions: small trees, slow shrinkage, bagging, and early
    /// stopping on the validation period's NDCG@10.
    /// </summary>
    public LambdaMartOptions Model { get; init; } = new()
    {
        Trees = 300,
        Leaves = 8,
        LearningRate = 0.05,
        MinLeafRows = 40,
        MinLeafHessian = 1,
        L2 = 5,
        BaggingFraction = 0.8,
        FeatureFraction = 0.8,
        EarlyStoppingRounds = 100,
        Seed = 1,
        Threads = 1,
    };

    /// <summary>
    /// Weight of the rule-based prior the trees are boosted from (LightGBM's init_score): the
    /// model starts where the literature-weighted baseline stands and learns corrections, above
    /// all the therapists' track records, from the feedback. 0 trains from scratch. Default 2,
    /// the best of 0, 2, 5 and 10 in the README's evaluation.
    /// </summary>
    public double BaselineWeight { get; init; } = 2;

    /// <summary>
    /// The trainers nightly training fits a challenger with, on the same rows and holdout; the
    /// best goes to the promotion gate. Default ML.NET's LightGBM and the engine's LambdaMART.
    /// </summary>
    public IReadOnlyList<RankingTrainer> Trainers { get; init; } = RankingTrainers.NightlyDefault;

    /// <summary>Settings of the ML.NET trainers (matched to <see cref="Model"/>).</summary>
    public MlNetRankingOptions MlNet { get; init; } = new();

    /// <summary>
    /// How the rule-based prior enters an ML.NET model, which cannot start from per-row init
    /// scores. Default <see cref="MlNetPrior.Feature"/>, the best of the three in the README's
    /// measurement.
    /// </summary>
    public MlNetPrior MlNetPrior { get; init; } = MlNetPrior.Feature;

    /// <summary>How capacity prices are learned for the priced policies of the evaluation.</summary>
    public CapacityPricing Pricing { get; init; } = new();

    /// <summary>
    /// Exploration bonus of the "+ exposure" policy in the evaluation, in score units: a
    /// therapist with r ratings gets bonus / sqrt(1 + r) (<see cref="EvaluatedPolicy.ExplorationBonus"/>). Default 0.3.
    /// </summary>
    public double ExplorationBonus { get; init; } = 0.3;

    /// <summary>
    /// Inverse-propensity weighting of the training rows: each labeled match weighs
    /// min(clip, 1 / propensity of the chosen therapist at its position), normalised to mean 1, so
    /// the model is not fitted only to the therapists the logging policy favoured. 0 turns it off.
    /// Default 0 (off): see the README's measurement.
    /// </summary>
    public double PropensityClip { get; init; }

    /// <summary>Seed of the evaluation's random choices. Default 1.</summary>
    public int EvaluationSeed { get; init; } = 1;
}

/// <summary>How the rule-based prior enters a model trained by ML.NET (which takes no init scores).</summary>
public enum MlNetPrior
{
    /// <summary>As one more input column the trees may split on.</summary>
    Feature,
    /// <summary>Added to the trees' score with <see cref="TrainingSettings.BaselineWeight"/> after training (the trees never see it).</summary>
    Offset,
    /// <summary>Not at all: the trees learn from the schema's features alone.</summary>
    None,
}

namespace Matching.Training.MlNet;

/// <summary>
/// Options of the ML.NET ranking trainers, set explicitly rather than left to ML.NET's defaults
/// so a model can be reproduced and compared with the engine's LambdaMART on matched settings.
/// Every default is the engine trainer's counterpart in <see cref="TrainingSettings.Model"/>.
/// </summary>
public sealed record MlNetRankingOptions
{
    /// <summary>Boosting rounds before early stopping. Default 300.</summary>
    public int Trees { get; init; } = 300;

    /// <summary>Leaves per tree. Default 8: labels are noisy and data are thousands of rows.</summary>
    public int Leaves { get; init; } = 8;

    /// <summary>Shrinkage. Default 0.05.</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Minimum training rows in a leaf. Default 40.</summary>
    public int MinLeafRows { get; init; } = 40;

    /// <summary>L2 regularisation of leaf values (LightGBM only; FastTree has none). Default 5.</summary>
    public double L2 { get; init; } = 5;

    /// <summary>Share of rows each tree is fitted on (bagging every round). Default 0.8.</summary>
    public double BaggingFraction { get; init; } = 0.8;

    /// <summary>Share of features each tree may split on. Default 0.8.</summary>
    public double FeatureFraction { get; init; } = 0.8;

    /// <summary>
    /// Stop when validation NDCG has not improved for this many rounds, keeping the best round
    /// (LightGBM only: FastTree's rules stop without cutting back). Default 0: off. ML.NET has
    /// LightGBM evaluate NDCG at positions 1 to 5 and stop when any one of them stalls, keeping
    /// that position's best round; on cohort queries NDCG@1 is so noisy that it kept 1 to 9 trees
    /// (seed-42 world: observed NDCG@10 0.629 and top-1 true alliance 0.414, against 0.726 and
    /// 0.542 with every round fitted; see README "Evaluation").
    /// </summary>
    public int EarlyStoppingRounds { get; init; }

    /// <summary>
    /// Gain of each grade 0-4 (index = grade): 2^grade − 1, the engine's default. LightGBM takes
    /// integer gains only.
    /// </summary>
    public IReadOnlyList<int> Gains { get; init; } = [0, 1, 3, 7, 15];

    /// <summary>
    /// Threads. Default 1: LightGBM's default OpenMP threading spins badly on a busy machine,
    /// and FastTree fixes its thread count for the whole process at its first trainer.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>Seed of bagging and feature sampling. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Maximum bins per feature. Default 255, as the engine.</summary>
    public int MaxBins { get; init; } = 255;
}

namespace Matching.Engine.Ranking;

/// <summary>
/// Training parameters for <see cref="LambdaMartTrainer"/>. Every default is stated where it is
/// declared; the defaults are the ones the benchmark against XGBoost uses.
/// </summary>
public sealed record LambdaMartOptions
{
    /// <summary>Number of boosting rounds (trees). Default 100.</summary>
    public int Trees { get; init; } = 100;

    /// <summary>Maximum number of leaves per tree; trees grow best-first until they reach it. Default 31.</summary>
    public int Leaves { get; init; } = 31;

    /// <summary>Shrinkage applied to every leaf value. Default 0.1.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Minimum number of (bagged) training rows in a leaf. Default 20.</summary>
    public int MinLeafRows { get; init; } = 20;

    /// <summary>
    /// Minimum sum of LambdaRank hessians in a leaf, the analogue of XGBoost's
    /// <c>min_child_weight</c>. Default 5, the value the XGBoost comparison uses. The objective
    /// weights pairs as XGBoost's rank:ndcg does in expectation, so hessians are on its scale (half
    /// of it: XGBoost doubles its pair hessians): about 0.02 per document on the LETOR example,
    /// where 5 therefore asks a leaf for a few hundred documents' worth of ranking signal and is the
    /// main brake on overfitting a small training set. Lower it for small data sets.
    /// </summary>
    public double MinLeafHessian { get; init; } = 5;

    /// <summary>L2 regularisation λ on leaf values (leaf = −G/(H+λ)). Default 1, XGBoost's default.</summary>
    public double L2 { get; init; } = 1.0;

    /// <summary>Fraction of rows drawn (without replacement) for each tree; 1 disables bagging. Default 0.9.</summary>
    public double BaggingFraction { get; init; } = 0.9;

    /// <summary>Fraction of features a tree may split on, drawn per tree. Default 1 (all features).</summary>
    public double FeatureFraction { get; init; } = 1.0;

    /// <summary>Maximum number of quantile bins per feature, 2–255 (one byte per binned value). Default 255.</summary>
    public int MaxBins { get; init; } = 255;

    /// <summary>Seed of every random choice (bagging, feature sampling). Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Worker threads for gradients and histograms. Default 1. The model does not depend on it:
    /// every parallel reduction is split and summed in a fixed order.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// LambdaRank truncation level k (LightGBM's <c>lambdarank_truncation_level</c>): a pair is
    /// used only if its higher-ranked document is in the current top k. Default 30.
    /// </summary>
    public int NdcgTruncation { get; init; } = 30;

    /// <summary>
    /// Stop when the validation NDCG at the last <see cref="EvalAt"/> cut-off has not improved for
    /// this many rounds, and keep the trees up to the best round. 0 (default) disables it.
    /// Ignored without a validation set.
    /// </summary>
    public int EarlyStoppingRounds { get; init; }

    /// <summary>Cut-offs k at which NDCG@k is recorded every round. Default 1, 3, 5, 10.</summary>
    public IReadOnlyList<int> EvalAt { get; init; } = [1, 3, 5, 10];

    /// <summary>Steepness σ of the pairwise sigmoid 1/(1+e^(σ·(s_j−s_i))). Default 1.</summary>
    public double Sigma { get; init; } = 1.0;

    /// <summary>
    /// Gain of each integer relevance label (index = label). Null (default) uses 2^label − 1,
    /// which also accepts fractional labels.
    /// </summary>
    public IReadOnlyList<double>? LabelGains { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range parameter.</summary>
    public void Validate()
    {
        Require(Trees >= 1, nameof(Trees), "must be at least 1");
        Require(Leaves >= 2, nameof(Leaves), "must be at least 2");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), "must be positive");
        Require(MinLeafRows >= 1, nameof(MinLeafRows), "must be at least 1");
        Require(MinLeafHessian >= 0 && double.IsFinite(MinLeafHessian), nameof(MinLeafHessian), "must be non-negative");
        Require(L2 >= 0 && double.IsFinite(L2), nameof(L2), "must be non-negative");
        Require(BaggingFraction > 0 && BaggingFraction <= 1, nameof(BaggingFraction), "must be in (0, 1]");
        Require(FeatureFraction > 0 && FeatureFraction <= 1, nameof(FeatureFraction), "must be in (0, 1]");
        Require(MaxBins is >= 2 and <= 255, nameof(MaxBins), "must be in [2, 255]");
        Require(Threads >= 1, nameof(Threads), "must be at least 1");
        Require(NdcgTruncation >= 1, nameof(NdcgTruncation), "must be at least 1");
        Require(EarlyStoppingRounds >= 0, nameof(EarlyStoppingRounds), "must be non-negative");
        Require(EvalAt is { Count: > 0 }, nameof(EvalAt), "must list at least one cut-off");
        foreach (var k in EvalAt)
        {
            Require(k >= 1, nameof(EvalAt), "cut-offs must be at least 1");
        }

        Require(Sigma > 0 && double.IsFinite(Sigma), nameof(Sigma), "must be positive");
        if (LabelGains is not null)
        {
            Require(LabelGains.Count > 0, nameof(LabelGains), "must not be empty");
            foreach (var g in LabelGains)
            {
                Require(g >= 0 && double.IsFinite(g), nameof(LabelGains), "gains must be finite and non-negative");
            }
        }
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {message}.", name);
        }
    }
}

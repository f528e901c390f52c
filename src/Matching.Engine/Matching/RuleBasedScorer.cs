namespace Matching.Engine.Matching;

/// <summary>
/// The transparent baseline, and the fallback while no learned model is active: a weighted sum
/// of each feature's distance from neutral. Weights follow the effect sizes on the science page
/// (goal match, modality preference and cultural match when wanted are the strongest terms,
/// native language strong, communication style weaker, track record small). The learned model
/// must beat this to be promoted.
/// </summary>
public sealed class RuleBasedScorer : IRankingModel
{
    /// <summary>The version name of the baseline.</summary>
    public const string VersionName = "rule-based/1";

    /// <summary>The weights, in schema order.</summary>
    public static IReadOnlyList<double> Weights => W;

    private static readonly double[] W =
    [
        0.20, // goal_first
        0.10, // goal_coverage
        0.30, // modality_fit
        0.05, // structure_fit
        0.15, // directiveness_fit
        0.05, // challenge_fit
        0.25, // first_language
        0.30, // cultural_match
        0.10, // gender_match
        0.10, // faith_match
        0.15, // identity_match
        0.10, // track_alliance
        0.00, // track_volume
        0.05, // track_goal_alliance
        0.05, // fee_fit
        0.02, // capacity_left
    ];

    private readonly double[] _groupScale = new double[Enum.GetValues<FeatureGroup>().Length];

    /// <summary>The shared instance.</summary>
    public static RuleBasedScorer Instance { get; } = new();

    private RuleBasedScorer()
    {
        for (var f = 0; f < PairFeatures.Count; f++)
        {
            _groupScale[(int)PairFeatures.Schema[f].Group] += 0.5 * W[f];
        }
    }

    /// <inheritdoc />
    public string Version => VersionName;

    /// <inheritdoc />
    public string FeatureSchemaVersion => PairFeatures.SchemaVersion;

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int rows, Span<double> scores)
    {
        var n = PairFeatures.Count;
        for (var r = 0; r < rows; r++)
        {
            var row = features.Slice(r * n, n);
            double s = 0;
            for (var f = 0; f < n; f++)
            {
                s += W[f] * (row[f] - 0.5);
            }

            scores[r] = s;
        }
    }

    /// <inheritdoc />
    public void Contributions(ReadOnlySpan<float> row, Span<double> contributions)
    {
        for (var f = 0; f < PairFeatures.Count; f++)
        {
            contributions[f] = W[f] * (row[f] - 0.5);
        }
    }

    /// <inheritdoc />
    public double ContributionScale(FeatureGroup group) => Math.Max(1e-9, _groupScale[(int)group]);
}

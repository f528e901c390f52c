using System.Runtime.Intrinsics;

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
        var r = 0;
        if (Vector256.IsHardwareAccelerated && n % Vector256<float>.Count == 0)
        {
            // Four rows at a time. Their terms are computed eight at a time (float to double,
            // minus 0.5, times the weight: each exactly as below), and each row's sum is then
            // added up in feature order as below, four rows' chains side by side. Scalar, each
            // term's float-to-double conversion also waits on the previous term's register
            // (vcvtss2sd keeps the upper half of its destination), which made this prior cost
            // more than the trees it is added to in the learned model's early exit.
            Span<double> terms = stackalloc double[4 * n];
            var half = Vector256.Create(0.5);
            for (; r + 4 <= rows; r += 4)
            {
                var block = features.Slice(r * n, 4 * n);
                for (var i = 0; i < block.Length; i += Vector256<float>.Count)
                {
                    var (low, high) = Vector256.Widen(Vector256.Create(block.Slice(i, Vector256<float>.Count)));
                    var f = i % n;
                    ((low - half) * Vector256.Create(W.AsSpan(f, Vector256<double>.Count))).CopyTo(terms.Slice(i, Vector256<double>.Count));
                    ((high - half) * Vector256.Create(W.AsSpan(f + Vector256<double>.Count, Vector256<double>.Count))).CopyTo(terms.Slice(i + Vector256<double>.Count, Vector256<double>.Count));
                }

                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (var f = 0; f < n; f++)
                {
                    s0 += terms[f];
                    s1 += terms[n + f];
                    s2 += terms[(2 * n) + f];
                    s3 += terms[(3 * n) + f];
                }

                scores[r] = s0;
                scores[r + 1] = s1;
                scores[r + 2] = s2;
                scores[r + 3] = s3;
            }
        }

        for (; r < rows; r++)
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

namespace Matching.Engine.Matching;

/// <summary>
/// The ranking seam: the rule-based baseline and the learned LambdaMART model both score pair
/// feature rows and break a score down into per-feature contributions for explanations.
/// Implementations are immutable and thread-safe; the service swaps whole instances.
/// </summary>
public interface IRankingModel
{
    /// <summary>Version served and stored with every shortlist, e.g. <c>rule-based/1</c>.</summary>
    string Version { get; }

    /// <summary>The feature schema version the model was built for.</summary>
    string FeatureSchemaVersion { get; }

    /// <summary>Scores <paramref name="rows"/> row-major feature rows into <paramref name="scores"/>.</summary>
    void Score(ReadOnlySpan<float> features, int rows, Span<double> scores);

    /// <summary>Writes one contribution per feature for a row; with the model's constant they add up to the score.</summary>
    void Contributions(ReadOnlySpan<float> row, Span<double> contributions);

    /// <summary>
    /// The size of a typical strong contribution of a feature group, used to map a group's
    /// summed contribution c to a fit in [0, 1] as <c>0.5 + 0.5 c / scale</c> (clamped).
    /// </summary>
    double ContributionScale(FeatureGroup group);
}

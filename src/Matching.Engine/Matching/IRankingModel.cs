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

    /// <summary>
    /// Scores rows as far as needed to find the <paramref name="keep"/> best: a shortlist shows
    /// only its top few of the eligible therapists, and a model may stop scoring a row once it
    /// is certain the row cannot reach them. This default scores every row and keeps every row.
    /// </summary>
    /// <param name="features">The rows, row-major, <see cref="PairFeatures.Count"/> values each.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="keep">How many of the best rows the caller needs; at least 1.</param>
    /// <param name="scores">
    /// <paramref name="rows"/> entries; receives, for every survivor, exactly the score
    /// <see cref="Score"/> gives its row. Other rows' entries are unspecified.
    /// </param>
    /// <param name="survivors">Room for <paramref name="rows"/> row indices; receives the survivors in ascending order.</param>
    /// <returns>
    /// The number of survivors written. They include every row whose score is at least the
    /// <paramref name="keep"/>-th largest score, ties included, so the caller can break ties
    /// itself (by therapist id); they may include more. When <paramref name="keep"/> ≥
    /// <paramref name="rows"/> every row survives.
    /// </returns>
    int ScoreCandidates(ReadOnlySpan<float> features, int rows, int keep, Span<double> scores, Span<int> survivors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        if (features.Length != rows * PairFeatures.Count || scores.Length != rows || survivors.Length < rows)
        {
            throw new ArgumentException($"{rows} rows need {rows * PairFeatures.Count} feature values, {rows} scores and room for {rows} survivors; got {features.Length}, {scores.Length} and {survivors.Length}.");
        }

        Score(features, rows, scores);
        for (var r = 0; r < rows; r++)
        {
            survivors[r] = r;
        }

        return rows;
    }

    /// <summary>Writes one contribution per feature for a row; with the model's constant they add up to the score.</summary>
    void Contributions(ReadOnlySpan<float> row, Span<double> contributions);

    /// <summary>
    /// The size of a typical strong contribution of a feature group, used to map a group's
    /// summed contribution c to a fit in [0, 1] as <c>0.5 + 0.5 c / scale</c> (clamped).
    /// </summary>
    double ContributionScale(FeatureGroup group);
}

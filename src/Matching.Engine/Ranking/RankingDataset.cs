namespace Matching.Engine.Ranking;

/// <summary>
/// Rows of candidate features grouped into queries, as LambdaMART trains and evaluates on them.
/// Rows of one query are contiguous; <see cref="QueryBoundaries"/> holds the query offsets.
/// </summary>
/// <remarks>
/// The arrays are owned by the dataset and not copied; callers must not change them afterwards.
/// </remarks>
public sealed class RankingDataset
{
    /// <summary>
    /// Creates a dataset after checking that the arrays agree with each other.
    /// </summary>
    /// <param name="features">Row-major values, <paramref name="rows"/> × <paramref name="featureCount"/>; NaN means missing.</param>
    /// <param name="rows">Number of rows (candidates).</param>
    /// <param name="featureCount">Number of features per row.</param>
    /// <param name="labels">Relevance label of each row (higher is more relevant, non-negative).</param>
    /// <param name="queryBoundaries">Query offsets: starts at 0, strictly increasing, ends at <paramref name="rows"/>.</param>
    /// <param name="featureNames">Optional names; defaults to <c>f0</c>, <c>f1</c>, …</param>
    /// <param name="weights">Optional weight of each row (positive, finite): its gradient and hessian are scaled by it in training. Null: every row weighs 1.</param>
    public RankingDataset(
        float[] features,
        int rows,
        int featureCount,
        float[] labels,
        int[] queryBoundaries,
        IReadOnlyList<string>? featureNames = null,
        float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(queryBoundaries);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(featureCount);
        if ((long)rows * featureCount != features.Length)
        {
            throw new ArgumentException($"Expected {rows} × {featureCount} feature values, got {features.Length}.", nameof(features));
        }

        if (labels.Length != rows)
        {
            throw new ArgumentException($"Expected {rows} labels, got {labels.Length}.", nameof(labels));
        }

        if (queryBoundaries.Length == 0 || queryBoundaries[0] != 0 || queryBoundaries[^1] != rows)
        {
            throw new ArgumentException($"Query boundaries must start at 0 and end at the row count {rows}.", nameof(queryBoundaries));
        }

        for (var q = 1; q < queryBoundaries.Length; q++)
        {
            if (queryBoundaries[q] <= queryBoundaries[q - 1])
            {
                throw new ArgumentException($"Query {q - 1} is empty or the boundaries decrease.", nameof(queryBoundaries));
            }
        }

        foreach (var label in labels)
        {
            if (!(label >= 0) || float.IsInfinity(label))
            {
                throw new ArgumentException($"Labels must be finite and non-negative, got {label}.", nameof(labels));
            }
        }

        if (featureNames is not null && featureNames.Count != featureCount)
        {
            throw new ArgumentException($"Expected {featureCount} feature names, got {featureNames.Count}.", nameof(featureNames));
        }

        if (weights is not null && (weights.Length != rows || weights.Any(w => !(w > 0) || float.IsInfinity(w))))
        {
            throw new ArgumentException($"Expected {rows} positive, finite weights.", nameof(weights));
        }

        Features = features;
        Weights = weights;
        Rows = rows;
        FeatureCount = featureCount;
        Labels = labels;
        QueryBoundaries = queryBoundaries;
        FeatureNames = featureNames ?? DefaultFeatureNames(featureCount);
    }

    /// <summary>Row-major feature values, <see cref="Rows"/> × <see cref="FeatureCount"/>.</summary>
    public float[] Features { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Weight of each row in training, or null when every row weighs 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Number of features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Relevance label per row.</summary>
    public float[] Labels { get; }

    /// <summary>Query offsets: query q spans rows [QueryBoundaries[q], QueryBoundaries[q+1]).</summary>
    public int[] QueryBoundaries { get; }

    /// <summary>Number of queries.</summary>
    public int QueryCount => QueryBoundaries.Length - 1;

    /// <summary>Feature names, one per column.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The features of one row.</summary>
    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * FeatureCount, FeatureCount);

    /// <summary>Builds query offsets from group sizes (the LETOR <c>.query</c> file's content).</summary>
    public static int[] BoundariesFromGroupSizes(IReadOnlyList<int> groupSizes)
    {
        ArgumentNullException.ThrowIfNull(groupSizes);
        var boundaries = new int[groupSizes.Count + 1];
        for (var i = 0; i < groupSizes.Count; i++)
        {
            boundaries[i + 1] = checked(boundaries[i] + groupSizes[i]);
        }

        return boundaries;
    }

    internal static string[] DefaultFeatureNames(int count)
    {
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = "f" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }
}

namespace Matching.Engine.Ranking;

/// <summary>
/// Normalised discounted cumulative gain: DCG@k = Σ_{i&lt;k} gain(label_i) / log2(i + 2) over the
/// documents ranked by descending score, divided by the DCG@k of the ideal ordering.
/// </summary>
/// <remarks>
/// Ties are broken pessimistically: among equal scores the lower labels are ranked first, so a
/// model cannot earn credit by giving every document the same score. A query with no relevant
/// document (ideal DCG 0) counts as 1, as LightGBM and XGBoost's default <c>ndcg</c> report it.
/// </remarks>
public static class Ndcg
{
    /// <summary>NDCG@k of one query.</summary>
    /// <param name="scores">Model scores of the query's documents.</param>
    /// <param name="labels">Relevance labels, same length.</param>
    /// <param name="k">Cut-off, at least 1; a query shorter than k uses all its documents.</param>
    /// <param name="labelGains">Gain per integer label; null uses 2^label − 1.</param>
    public static double At(ReadOnlySpan<double> scores, ReadOnlySpan<float> labels, int k, IReadOnlyList<double>? labelGains = null)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException("Scores and labels must have the same length.", nameof(scores));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var ideal = IdealDcg(labels, k, labelGains, new float[labels.Length]);
        if (ideal <= 0)
        {
            return 1.0;
        }

        var keys = new RankKey[scores.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = new RankKey(scores[i], labels[i], i);
        }

        Array.Sort(keys);
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(k, keys.Length); i++)
        {
            dcg += Gain(labels[keys[i].Index], labelGains) * Discount(i);
        }

        return dcg / ideal;
    }

    /// <summary>Mean NDCG@k over the queries of <paramref name="data"/>.</summary>
    /// <param name="data">The dataset whose labels and queries are used.</param>
    /// <param name="scores">One score per row of <paramref name="data"/>.</param>
    /// <param name="k">Cut-off.</param>
    /// <param name="labelGains">Gain per integer label; null uses 2^label − 1.</param>
    public static double Mean(RankingDataset data, ReadOnlySpan<double> scores, int k, IReadOnlyList<double>? labelGains = null)
        => Mean(data, scores, [k], labelGains)[0];

    /// <summary>Mean NDCG at each cut-off in <paramref name="ks"/> over the queries of <paramref name="data"/>.</summary>
    /// <param name="data">The dataset whose labels and queries are used.</param>
    /// <param name="scores">One score per row of <paramref name="data"/>.</param>
    /// <param name="ks">Cut-offs, each at least 1.</param>
    /// <param name="labelGains">Gain per integer label; null uses 2^label − 1.</param>
    /// <returns>One mean per cut-off, in the order of <paramref name="ks"/>.</returns>
    public static double[] Mean(RankingDataset data, ReadOnlySpan<double> scores, IReadOnlyList<int> ks, IReadOnlyList<double>? labelGains = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(ks);
        if (scores.Length != data.Rows)
        {
            throw new ArgumentException($"Expected {data.Rows} scores, got {scores.Length}.", nameof(scores));
        }

        foreach (var k in ks)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        }

        return new NdcgEvaluator(data, ks, labelGains).Evaluate(scores);
    }

    /// <summary>Gain of a label: the custom table entry, or 2^label − 1.</summary>
    internal static double Gain(float label, IReadOnlyList<double>? labelGains)
    {
        if (labelGains is null)
        {
            return Math.Pow(2, label) - 1;
        }

        var index = (int)label;
        if (index != label || index < 0 || index >= labelGains.Count)
        {
            throw new ArgumentException($"Label {label} has no entry in the {labelGains.Count} custom label gains.", nameof(labelGains));
        }

        return labelGains[index];
    }

    /// <summary>Discount of 0-based rank i: 1 / log2(i + 2).</summary>
    internal static double Discount(int rank) => 1.0 / Math.Log2(rank + 2);

    /// <summary>DCG@k of the ideal ordering of <paramref name="labels"/>.</summary>
    internal static double IdealDcg(ReadOnlySpan<float> labels, int k, IReadOnlyList<double>? labelGains, Span<float> scratch)
    {
        var sorted = scratch[..labels.Length];
        labels.CopyTo(sorted);
        sorted.Sort(static (a, b) => b.CompareTo(a));
        var dcg = 0.0;
        var top = Math.Min(k, sorted.Length);
        for (var i = 0; i < top; i++)
        {
            dcg += Gain(sorted[i], labelGains) * Discount(i);
        }

        return dcg;
    }
}

/// <summary>Orders by score descending, then label ascending (pessimistic ties), then position.</summary>
internal readonly record struct RankKey(double Score, float Label, int Index) : IComparable<RankKey>
{
    public int CompareTo(RankKey other)
    {
        if (Score != other.Score)
        {
            return Score > other.Score ? -1 : 1;
        }

        if (Label != other.Label)
        {
            return Label < other.Label ? -1 : 1;
        }

        return Index.CompareTo(other.Index);
    }
}

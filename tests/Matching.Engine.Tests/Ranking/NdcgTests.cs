using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

public class NdcgTests
{
    private static readonly double D2 = 1 / Math.Log2(3);
    private static readonly double D3 = 1 / Math.Log2(4);

    [Test]
    public void Perfect_order_scores_one()
    {
        Assert.That(Ndcg.At([3.0, 2.0, 1.0], [2f, 1f, 0f], 10), Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void Worked_example_matches_hand_computation()
    {
        // Ranked: label 0, label 2, label 1 → DCG = 0 + 3/log2(3) + 1/log2(4); ideal = 3 + 1/log2(3).
        var expected = ((3 * D2) + (1 * D3)) / (3 + D2);

        Assert.That(Ndcg.At([0.9, 0.5, 0.1], [0f, 2f, 1f], 10), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Cut_off_counts_only_the_top_k()
    {
        // Top 2 of the ranking (label 0, label 2): DCG@2 = 3/log2(3); ideal DCG@2 = 3 + 1/log2(3).
        var expected = 3 * D2 / (3 + D2);

        Assert.That(Ndcg.At([0.9, 0.5, 0.1], [0f, 2f, 1f], 2), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Ties_are_broken_pessimistically()
    {
        // All scores equal: the worst order (0, 1, 2) is assumed, whatever the input order.
        var expected = ((1 * D2) + (3 * D3)) / (3 + D2 + (0 * D3));

        Assert.That(Ndcg.At([1.0, 1.0, 1.0], [2f, 1f, 0f], 10), Is.EqualTo(expected).Within(1e-12));
        Assert.That(Ndcg.At([1.0, 1.0, 1.0], [0f, 1f, 2f], 10), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Tie_below_a_distinct_top_only_affects_the_tied_positions()
    {
        // 0.9 (label 1) first, then a tie of labels 2 and 0 → 0 before 2.
        var expected = (1 + (0 * D2) + (3 * D3)) / (3 + D2);

        Assert.That(Ndcg.At([0.9, 0.2, 0.2], [1f, 2f, 0f], 10), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Query_without_relevant_documents_counts_as_one()
    {
        Assert.That(Ndcg.At([0.3, 0.1], [0f, 0f], 5), Is.EqualTo(1.0));
    }

    [Test]
    public void Custom_gains_replace_exponential_gains()
    {
        // Gains {0, 1, 2}: ranked labels 0, 2, 1 → DCG = 2/log2(3) + 1/log2(4); ideal 2 + 1/log2(3).
        var expected = ((2 * D2) + D3) / (2 + D2);

        Assert.That(Ndcg.At([0.9, 0.5, 0.1], [0f, 2f, 1f], 10, [0, 1, 2]), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Mean_averages_queries_and_agrees_with_single_queries()
    {
        var data = new RankingDataset(new float[5], 5, 1, [0f, 2f, 1f, 0f, 0f], [0, 3, 5]);
        double[] scores = [0.9, 0.5, 0.1, 0.4, 0.2];
        var first = Ndcg.At(scores.AsSpan(0, 3), data.Labels.AsSpan(0, 3), 10);

        var means = Ndcg.Mean(data, scores, [1, 10]);

        Assert.That(means[1], Is.EqualTo((first + 1.0) / 2).Within(1e-12));
        Assert.That(means[0], Is.EqualTo((0.0 + 1.0) / 2).Within(1e-12));
        Assert.That(Ndcg.Mean(data, scores, 10), Is.EqualTo(means[1]));
    }

    [Test]
    public void Mean_agrees_with_single_queries_on_long_queries_with_ties()
    {
        var data = RankingTestData.Planted(queries: 7, docsPerQuery: 40, seed: 3);
        var scores = new double[data.Rows];
        for (var r = 0; r < scores.Length; r++)
        {
            scores[r] = Math.Round(data.Features[r * data.FeatureCount + 1] * 4); // many ties
        }

        var expected = 0.0;
        for (var q = 0; q < data.QueryCount; q++)
        {
            var start = data.QueryBoundaries[q];
            var count = data.QueryBoundaries[q + 1] - start;
            expected += Ndcg.At(scores.AsSpan(start, count), data.Labels.AsSpan(start, count), 10);
        }

        Assert.That(Ndcg.Mean(data, scores, 10), Is.EqualTo(expected / data.QueryCount).Within(1e-12));
    }
}

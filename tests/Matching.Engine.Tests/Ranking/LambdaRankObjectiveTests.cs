using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

public class LambdaRankObjectiveTests
{
    // Two documents, labels 1 and 0: gains 1 and 0, ideal DCG 1, and swapping ranks 1 and 2
    // changes NDCG by 1 − 1/log2(3). Each document has one partner of another label, so the
    // pair weight 1/m_i + 1/m_j is 2.
    private static readonly double PairWeight = (1 - (1 / Math.Log2(3))) * 2;

    private static (double[] Gradients, double[] Hessians, double[] Ndcg) Compute(float[] labels, double[] scores, double sigma = 1)
    {
        var data = new RankingDataset(new float[labels.Length], labels.Length, 1, labels, [0, labels.Length]);
        var objective = new LambdaRankObjective(data, new LambdaMartOptions { Sigma = sigma, EvalAt = [10] });
        var gradients = new double[labels.Length];
        var hessians = new double[labels.Length];
        var ndcg = objective.Compute(scores, gradients, hessians);
        return (gradients, hessians, ndcg);
    }

    [Test]
    public void Tied_pair_gets_half_the_pair_weight()
    {
        // ρ = 1/(1 + e^0) = ½: the relevant document is pushed up by σρw, the other down.
        var (g, h, _) = Compute([1f, 0f], [0, 0]);

        Assert.That(g[0], Is.EqualTo(-0.5 * PairWeight).Within(1e-12));
        Assert.That(g[1], Is.EqualTo(0.5 * PairWeight).Within(1e-12));
        Assert.That(h[0], Is.EqualTo(0.25 * PairWeight).Within(1e-12));
        Assert.That(h[1], Is.EqualTo(0.25 * PairWeight).Within(1e-12));
    }

    [Test]
    public void Misordered_pair_gets_the_sigmoid_of_the_score_gap()
    {
        // s_rel − s_irr = −1: ρ = 1/(1 + e^(σ·−1)) = 1/(1 + e^−1).
        var rho = 1 / (1 + Math.Exp(-1));
        var (g, h, ndcg) = Compute([1f, 0f], [0, 1]);

        Assert.That(g[0], Is.EqualTo(-rho * PairWeight).Within(1e-12));
        Assert.That(g[1], Is.EqualTo(rho * PairWeight).Within(1e-12));
        Assert.That(h[0], Is.EqualTo(rho * (1 - rho) * PairWeight).Within(1e-12));
        Assert.That(h[1], Is.EqualTo(h[0]));
        Assert.That(ndcg[0], Is.EqualTo(1 / Math.Log2(3)).Within(1e-12), "the training NDCG of the scores given");
    }

    [Test]
    public void Sigma_scales_the_gradient_and_the_gap()
    {
        const double sigma = 2;
        var rho = 1 / (1 + Math.Exp(sigma * 0.5));
        var (g, h, _) = Compute([1f, 0f], [0.5, 0], sigma);

        Assert.That(g[0], Is.EqualTo(-sigma * rho * PairWeight).Within(1e-12));
        Assert.That(h[0], Is.EqualTo(sigma * sigma * rho * (1 - rho) * PairWeight).Within(1e-12));
    }

    [Test]
    public void Query_without_relevant_documents_contributes_nothing_but_floored_hessians()
    {
        var (g, h, ndcg) = Compute([0f, 0f, 0f], [0.3, 0.2, 0.1]);

        Assert.That(g, Is.All.EqualTo(0.0));
        Assert.That(h, Is.All.EqualTo(LambdaRankObjective.MinHessian));
        Assert.That(ndcg[0], Is.EqualTo(1.0));
    }

    [Test]
    public void Gradients_of_a_query_sum_to_zero_and_hessians_are_positive()
    {
        var (g, h, _) = Compute([3f, 0f, 1f, 2f, 0f, 1f, 4f, 0f, 2f, 1f, 0f], [0.1, 0.5, -0.2, 0.3, 0.9, 0.0, -1.0, 0.4, 0.2, 0.7, -0.3]);

        Assert.That(g.Sum(), Is.EqualTo(0.0).Within(1e-12));
        Assert.That(h, Is.All.GreaterThan(0.0));
        Assert.That(g[6], Is.LessThan(0.0), "the most relevant document, ranked last, is pushed up");
    }

    [Test]
    public void Truncation_skips_pairs_with_neither_document_in_the_top_k()
    {
        // Ranked by score: 0, 1, 2, 3. With k = 1 only pairs containing rank 0 count, so
        // documents 2 and 3 (labels 1 and 0) get nothing from each other.
        float[] labels = [1f, 1f, 1f, 0f];
        double[] scores = [4, 3, 2, 1];
        var data = new RankingDataset(new float[4], 4, 1, labels, [0, 4]);
        var objective = new LambdaRankObjective(data, new LambdaMartOptions { NdcgTruncation = 1, EvalAt = [10] });
        var g = new double[4];
        var h = new double[4];

        objective.Compute(scores, g, h);

        Assert.That(g[0], Is.LessThan(0.0));
        Assert.That(g[1], Is.EqualTo(0.0));
        Assert.That(g[2], Is.EqualTo(0.0));
        Assert.That(g[3], Is.EqualTo(-g[0]).Within(1e-15));
    }
}

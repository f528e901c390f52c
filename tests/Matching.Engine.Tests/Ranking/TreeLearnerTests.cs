using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

public class TreeLearnerTests
{
    [Test]
    public void Finds_a_planted_split()
    {
        // Gradient −1 where x2 > 0.5 and +1 elsewhere; x0, x1 and x3 are noise.
        const int rows = 2000;
        const int features = 4;
        var random = new Random(7);
        var x = new float[rows * features];
        var gradients = new double[rows];
        var hessians = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < features; f++)
            {
                x[(r * features) + f] = (float)random.NextDouble();
            }

            gradients[r] = x[(r * features) + 2] > 0.5f ? -1 : 1;
            hessians[r] = 1;
        }

        var data = new RankingDataset(x, rows, features, new float[rows], [0, rows]);
        var options = new LambdaMartOptions { Leaves = 2, MinLeafRows = 10, MinLeafHessian = 1 };
        var bins = FeatureBins.Build(data, options.MaxBins, threads: 1);
        var learner = new TreeLearner(bins, options);
        var all = Enumerable.Range(0, rows).ToArray();

        var tree = learner.Grow(gradients, hessians, all, [0, 1, 2, 3]);

        Assert.That(tree.LeafCount, Is.EqualTo(2));
        Assert.That(tree.SplitFeature[0], Is.EqualTo(2));
        Assert.That(bins.UpperBounds[2][tree.SplitBin[0]], Is.EqualTo(0.5f).Within(0.01f));
        Assert.That(tree.LeafGradient[0], Is.GreaterThan(0), "left (x2 <= 0.5) holds the +1 gradients");
        Assert.That(tree.LeafGradient[1], Is.LessThan(0));
        Assert.That(tree.LeafRowCount[0] + tree.LeafRowCount[1], Is.EqualTo(rows));
    }

    [Test]
    public void Respects_minimum_rows_and_hessian_per_leaf()
    {
        var data = RankingTestData.Planted(queries: 10, docsPerQuery: 30, seed: 1);
        var gradients = data.Labels.Select(static l => (double)(1 - l)).ToArray();
        var hessians = Enumerable.Repeat(0.5, data.Rows).ToArray();
        var options = new LambdaMartOptions { Leaves = 31, MinLeafRows = 25, MinLeafHessian = 15 };
        var bins = FeatureBins.Build(data, options.MaxBins, threads: 1);
        var learner = new TreeLearner(bins, options);

        var tree = learner.Grow(gradients, hessians, Enumerable.Range(0, data.Rows).ToArray(), [0, 1, 2, 3, 4]);

        Assert.That(tree.LeafCount, Is.GreaterThan(1));
        for (var leaf = 0; leaf < tree.LeafCount; leaf++)
        {
            Assert.That(tree.LeafRowCount[leaf], Is.GreaterThanOrEqualTo(30), "0.5 hessian per row and 15 per leaf means 30 rows");
            Assert.That(tree.LeafHessian[leaf], Is.GreaterThanOrEqualTo(15 - 1e-9));
        }
    }

    [Test]
    public void Quantile_bins_put_each_value_in_the_bin_its_threshold_test_implies()
    {
        float[] values = [0.5f, 0f, 0f, 3f, -1f, 0f, 2f, 2f, 7f];
        var bounds = FeatureBins.FindUpperBounds(values.Where(static v => v != 0).ToArray(), zeros: 3, maxBins: 255);

        foreach (var v in values)
        {
            var bin = FeatureBins.BinOf(bounds, v);
            Assert.That(v, Is.LessThanOrEqualTo(bounds[bin]));
            Assert.That(bin == 0 || v > bounds[bin - 1], Is.True);
        }

        Assert.That(bounds, Has.Length.EqualTo(6), "six distinct values, six bins");
        Assert.That(FeatureBins.BinOf(bounds, float.NaN), Is.Zero);
    }

    [Test]
    public void At_most_max_bins_for_many_distinct_values()
    {
        var values = Enumerable.Range(1, 10_000).Select(static i => i * 0.37f).ToArray();

        var bounds = FeatureBins.FindUpperBounds(values, zeros: 0, maxBins: 16);

        Assert.That(bounds, Has.Length.LessThanOrEqualTo(16));
        Assert.That(bounds[^1], Is.EqualTo(float.PositiveInfinity));
    }
}

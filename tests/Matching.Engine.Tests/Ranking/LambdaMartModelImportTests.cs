using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

public class LambdaMartModelImportTests
{
    // Root (node 0) splits f0 at 0.5: left to node 1 (f1 at 0.75: leaf 0, leaf 3), right to
    // node 2 (f1 at 0.25: leaf 1, leaf 2). Leaves are not numbered in the order a walk meets them,
    // as other libraries may number them; the import renumbers.
    private static ImportedTree Tree(double[]? cover = null) => new(
        SplitFeature: [0, 1, 1],
        Threshold: [0.5f, 0.75f, 0.25f],
        Left: [1, ~0, ~1],
        Right: [2, ~3, ~2],
        SplitGain: [3, 1, 2],
        LeafValue: [-1, 2, 3, 4],
        LeafCover: cover ?? [10, 5, 20, 30]);

    private static readonly string[] Names = ["f0", "f1"];

    [TestCase(0.5f, 0.9f, 4.0)] // x0 ≤ 0.5 goes left, then x1 > 0.75 goes right: leaf 3
    [TestCase(0.5f, 0.75f, -1.0)] // on both thresholds: left, left
    [TestCase(0.50000006f, 0.25f, 2.0)] // one float above 0.5: right, then x1 ≤ 0.25: leaf 1
    [TestCase(0.9f, 0.26f, 3.0)]
    public void A_row_goes_left_when_its_value_is_at_or_below_the_threshold(float x0, float x1, double expected)
    {
        var model = LambdaMartModel.FromImportedTrees([Tree()], Names, new LambdaMartOptions());

        Assert.That(model.Score([x0, x1]), Is.EqualTo(expected));
    }

    [Test]
    public void Renumbered_trees_score_and_explain_as_the_imported_ones()
    {
        var model = LambdaMartModel.FromImportedTrees([Tree(), Tree() with { LeafValue = [0.5, 0, 0, 1] }], Names, new LambdaMartOptions());
        var contributions = new double[3];
        foreach (var row in new float[][] { [0.1f, 0.1f], [0.9f, 0.1f], [0.9f, 0.5f], [0.2f, 0.8f] })
        {
            model.Contributions(row, contributions);
            Assert.That(contributions.Sum(), Is.EqualTo(model.Score(row)).Within(1e-12));
        }

        Assert.That(model.TreeCount, Is.EqualTo(2));
        Assert.That(model.FeatureImportance, Is.EqualTo(new[] { 6.0, 6.0 }));
    }

    [Test]
    public void The_cover_weights_the_bias_of_the_contributions()
    {
        // The root's expected value is the cover-weighted mean of the leaves (leaf 3 has no rows).
        var model = LambdaMartModel.FromImportedTrees([Tree(cover: [30, 10, 20, 0])], Names, new LambdaMartOptions());
        var contributions = new double[3];
        model.Contributions([0.1f, 0.1f], contributions);

        Assert.That(contributions[2], Is.EqualTo(((-1 * 30) + (2 * 10) + (3 * 20)) / 60.0).Within(1e-12));
    }

    [Test]
    public void Rows_are_counted_per_leaf_in_the_imported_numbering()
    {
        float[] rows = [0.1f, 0.1f, 0.9f, 0.1f, 0.9f, 0.5f, 0.9f, 0.9f, 0.2f, 0.9f];

        Assert.That(LambdaMartModel.CountRowsPerLeaf(Tree(), rows, 2), Is.EqualTo(new[] { 1.0, 1, 2, 1 }));
    }

    [Test]
    public void A_tree_with_a_cycle_or_an_orphan_is_refused()
    {
        var cycle = Tree() with { Left = [1, 0, ~1], Right = [2, ~3, ~2] };
        var orphan = Tree() with { Left = [~0, ~0, ~1], Right = [2, ~3, ~2] };

        Assert.Multiple(() =>
        {
            Assert.That(() => LambdaMartModel.FromImportedTrees([cycle], Names, new LambdaMartOptions()), Throws.ArgumentException.With.Message.Contains("Tree 0"));
            Assert.That(() => LambdaMartModel.FromImportedTrees([orphan], Names, new LambdaMartOptions()), Throws.ArgumentException.With.Message.Contains("Tree 0"));
            Assert.That(() => LambdaMartModel.FromImportedTrees([Tree() with { SplitFeature = [0, 2, 1] }], Names, new LambdaMartOptions()), Throws.ArgumentException);
        });
    }

    [Test]
    public void A_single_leaf_tree_adds_its_value()
    {
        var model = LambdaMartModel.FromImportedTrees([Tree(), new ImportedTree([], [], [], [], [], [0.25], [1])], Names, new LambdaMartOptions());

        Assert.That(model.Score([0.9f, 0.9f]), Is.EqualTo(3.25));
    }
}

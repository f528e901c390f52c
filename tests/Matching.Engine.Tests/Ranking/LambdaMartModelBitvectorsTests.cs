using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

/// <summary>
/// The leaf-bitvector kernel against the node-by-node traversal: the same bits for every row, on
/// trained models and on hand-built trees of every shape up to eight leaves, for row counts on
/// and off the vector width, with values on, just above and just below the thresholds, NaN and ±∞.
/// </summary>
public class LambdaMartModelBitvectorsTests
{
    private static readonly int[] RowCounts = [1, 7, 15, 16, 17, 63, 64, 65, 1000];

    // Trained on the ranking test problem: 8-leaf trees on 5 features.
    private static readonly Lazy<LambdaMartModel> Trained = new(() =>
        LambdaMartTrainer.Train(
            RankingTestData.Planted(queries: 40, docsPerQuery: 20, seed: 1),
            null,
            new LambdaMartOptions { Trees = 30, Leaves = 8, MinLeafRows = 5, MinLeafHessian = 0.5 }));

    [SetUp]
    public void RequireTheKernelsHardware() =>
        Assume.That(LambdaMartModel.BitvectorHardware, Is.True, "this machine has no AVX-512: the traversal, which the other tests cover, is all there is");

    [Test]
    public void A_trained_model_scores_the_same_bits_with_both_kernels([ValueSource(nameof(RowCounts))] int rows, [Range(1, 3)] int seed)
    {
        var model = Trained.Value;
        var x = Rows(new Random(seed), rows, model.FeatureCount, ThresholdsOf(model));

        AssertSameBits(model, x, rows);
    }

    [Test]
    public void The_planted_pair_feature_model_scores_the_same_bits_with_both_kernels([ValueSource(nameof(RowCounts))] int rows)
    {
        // Sixteen features (one full transpose of sixteen), four-leaf trees: padded nodes in every tree.
        var model = Learning.Planted.Model;
        var x = Rows(new Random(rows), rows, model.FeatureCount, ThresholdsOf(model));

        AssertSameBits(model, x, rows);
    }

    [Test]
    public void Hand_built_trees_of_every_shape_score_the_same_bits(
        [Values(1, 2, 3, 5, 8)] int maxLeaves,
        [Values(1, 5, 16, 17, 40)] int features,
        [Values(TreeShape.Random, TreeShape.LeftChain, TreeShape.RightChain)] TreeShape shape,
        [Range(1, 2)] int seed)
    {
        var random = new Random(seed * 1000 + features);
        var model = RandomModel(random, trees: 25, features, maxLeaves, shape);
        foreach (var rows in new[] { 1, 17, 200 })
        {
            var x = Rows(random, rows, features, ThresholdsOf(model));

            AssertSameBits(model, x, rows);
        }
    }

    [Test]
    public void Single_leaf_trees_add_their_leaf_to_every_row([Values(0, 3)] int features)
    {
        var trees = new[] { 0.25, -1.5, 3.0 }.Select(v => Leaf(v)).ToList();
        var model = Model(trees, features);
        const int rows = 20;
        var x = Rows(new Random(4), rows, features, [0.5f]);
        var scores = new double[rows];

        model.Score(x, rows, scores, ScoringKernel.LeafBitvectors);

        Assert.That(scores, Has.All.EqualTo(0.0 + 0.25 - 1.5 + 3.0));
        AssertSameBits(model, x, rows);
    }

    [Test]
    public void A_value_equal_to_the_threshold_goes_left_and_NaN_goes_left()
    {
        // One split: x0 > 0.5 → 2, else 1 (left leaf 0, right leaf 1).
        var tree = new RegressionTree([0], [0.5f], [~0], [~1], [1], [0], [1.0, 2.0], [1, 1]);
        var model = Model([tree], features: 1);
        float[] x = [0.5f, MathF.BitIncrement(0.5f), MathF.BitDecrement(0.5f), float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f];
        var scores = new double[x.Length];

        model.Score(x, x.Length, scores, ScoringKernel.LeafBitvectors);

        Assert.That(scores, Is.EqualTo(new[] { 1.0, 2.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0 }));
    }

    [Test]
    public void A_negative_zero_threshold_does_not_split_zeros()
    {
        var tree = new RegressionTree([0], [-0f], [~0], [~1], [1], [0], [1.0, 2.0], [1, 1]);
        var model = Model([tree], features: 1);
        float[] x = [0f, -0f, float.Epsilon, -float.Epsilon];
        var scores = new double[x.Length];

        model.Score(x, x.Length, scores, ScoringKernel.LeafBitvectors);

        Assert.That(scores, Is.EqualTo(new[] { 1.0, 1.0, 2.0, 1.0 }));
    }

    [Test]
    public void Leaf_values_are_added_in_tree_order()
    {
        // 1 + 2⁻⁵³ + 2⁻⁵³ is 1 when added in this order and 1 + 2⁻⁵² when the small ones go first.
        var tiny = Math.ScaleB(1, -53);
        var model = Model([Leaf(1.0), Leaf(tiny), Leaf(tiny)], features: 1);
        var scores = new double[3];

        model.Score(new float[3], 3, scores, ScoringKernel.LeafBitvectors);

        Assert.That(scores, Has.All.EqualTo(1.0));
    }

    [Test]
    public void Models_with_wider_trees_use_the_traversal()
    {
        var model = LambdaMartTrainer.Train(
            RankingTestData.Planted(queries: 40, docsPerQuery: 20, seed: 1),
            null,
            new LambdaMartOptions { Trees = 5, Leaves = 16, MinLeafRows = 2, MinLeafHessian = 0 });
        Assume.That(model.Trees.Max(t => t.LeafCount), Is.GreaterThan(LambdaMartModel.BitvectorLeaves));
        var x = Rows(new Random(1), 40, model.FeatureCount, ThresholdsOf(model));

        Assert.That(model.PreferredKernel, Is.EqualTo(ScoringKernel.Traversal));
        Assert.That(() => model.Score(x, 40, new double[40], ScoringKernel.LeafBitvectors), Throws.InstanceOf<NotSupportedException>());
        var auto = new double[40];
        var traversal = new double[40];
        model.Score(x, 40, auto);
        model.Score(x, 40, traversal, ScoringKernel.Traversal);
        Assert.That(Bits(auto), Is.EqualTo(Bits(traversal)));
    }

    [Test]
    public void Models_of_up_to_eight_leaves_prefer_the_bitvectors()
    {
        Assert.That(Trained.Value.PreferredKernel, Is.EqualTo(ScoringKernel.LeafBitvectors));
    }

    [Test]
    public void No_rows_is_fine()
    {
        Assert.That(() => Trained.Value.Score([], 0, [], ScoringKernel.LeafBitvectors), Throws.Nothing);
    }

    public enum TreeShape
    {
        Random,
        LeftChain,
        RightChain,
    }

    private static void AssertSameBits(LambdaMartModel model, float[] x, int rows)
    {
        var traversal = new double[rows];
        var bitvectors = new double[rows];
        model.Score(x, rows, traversal, ScoringKernel.Traversal);
        model.Score(x, rows, bitvectors, ScoringKernel.LeafBitvectors);

        Assert.That(Bits(bitvectors), Is.EqualTo(Bits(traversal)), $"{rows} rows");

        // And both are the single-row scorer's.
        var n = model.FeatureCount;
        for (var r = 0; r < rows; r += Math.Max(1, rows / 7))
        {
            Assert.That(BitConverter.DoubleToInt64Bits(bitvectors[r]), Is.EqualTo(BitConverter.DoubleToInt64Bits(model.Score(x.AsSpan(r * n, n)))), $"row {r} of {rows}");
        }
    }

    /// <summary>
    /// Rows whose values are, each with some chance, a threshold of the model exactly, the float
    /// just above or below one, NaN, ±∞, ±0, or uniform in [−0.5, 1.5).
    /// </summary>
    private static float[] Rows(Random random, int rows, int features, IReadOnlyList<float> thresholds)
    {
        var x = new float[rows * features];
        for (var i = 0; i < x.Length; i++)
        {
            var near = thresholds.Count > 0 ? thresholds[random.Next(thresholds.Count)] : 0.5f;
            x[i] = random.Next(12) switch
            {
                0 or 1 => near,
                2 => MathF.BitIncrement(near),
                3 => MathF.BitDecrement(near),
                4 => float.NaN,
                5 => random.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                6 => random.Next(2) == 0 ? 0f : -0f,
                _ => (float)((random.NextDouble() * 2) - 0.5),
            };
        }

        return x;
    }

    private static List<float> ThresholdsOf(LambdaMartModel model) => model.Trees.SelectMany(t => t.Threshold).Distinct().ToList();

    /// <summary>
    /// Trees of 1 to <paramref name="maxLeaves"/> leaves splitting on the first half of the
    /// features only (the rest are never split on), thresholds from a short list so that
    /// trees share them, leaf values of very different sizes so that the order of addition shows.
    /// </summary>
    private static LambdaMartModel RandomModel(Random random, int trees, int features, int maxLeaves, TreeShape shape)
    {
        var split = Math.Max(1, features / 2);
        var thresholds = Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble()).Append(0f).ToArray();
        var list = new List<RegressionTree>();
        for (var t = 0; t < trees; t++)
        {
            var leaves = random.Next(1, maxLeaves + 1);
            var feature = new int[leaves - 1];
            var threshold = new float[leaves - 1];
            var left = new int[leaves - 1];
            var right = new int[leaves - 1];
            var values = Enumerable.Range(0, leaves).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 3))).ToArray();
            int nextNode = 0, nextLeaf = 0;
            Build(leaves);
            list.Add(new RegressionTree(feature, threshold, left, right, new double[leaves - 1], new double[leaves - 1], values, Enumerable.Repeat(1.0, leaves).ToArray()));

            // Nodes in preorder, so children come after their parent and node 0 is the root.
            int Build(int under)
            {
                if (under == 1)
                {
                    return ~nextLeaf++;
                }

                var node = nextNode++;
                feature[node] = random.Next(split);
                threshold[node] = thresholds[random.Next(thresholds.Length)];
                var leftLeaves = shape switch
                {
                    TreeShape.LeftChain => under - 1,
                    TreeShape.RightChain => 1,
                    _ => random.Next(1, under),
                };
                left[node] = Build(leftLeaves);
                right[node] = Build(under - leftLeaves);
                return node;
            }
        }

        return Model(list, features);
    }

    private static RegressionTree Leaf(double value) => new([], [], [], [], [], [], [value], [1]);

    private static LambdaMartModel Model(IReadOnlyList<RegressionTree> trees, int features) =>
        new(trees, features, Enumerable.Range(0, features).Select(f => $"x{f}").ToList(), new LambdaMartOptions(), [], trees.Count);

    private static long[] Bits(IEnumerable<double> values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Matching.Engine.Ranking;

/// <summary>
/// A trained LambdaMART ensemble: the score of a row is the sum of its leaf values over all trees
/// (the initial score is 0). Immutable and safe to share between threads.
/// </summary>
public sealed partial class LambdaMartModel
{
    /// <summary>Rows scored together, so both a block of rows and one tree stay in L1 cache.</summary>
    private const int ScoreBlockRows = 64;

    private readonly RegressionTree[] _trees;
    private readonly PackedNode[] _nodes;
    private readonly double[] _packedNodeValues;
    private readonly double[] _leafValues;
    private readonly int[] _roots;

    // The batch scorer's layout: each tree's internal nodes then its leaves as nodes that loop
    // back to themselves, so a row can take extra steps once it has reached a leaf.
    private readonly PackedNode[] _walkNodes;
    private readonly double[] _walkLeafValues;
    private readonly int[] _walkRoots;
    private readonly int[] _walkFirstLeaf;
    private readonly double[] _featureImportance;

    internal LambdaMartModel(
        IReadOnlyList<RegressionTree> trees,
        int featureCount,
        IReadOnlyList<string> featureNames,
        LambdaMartOptions options,
        IReadOnlyList<IterationMetrics> iterations,
        int bestIteration)
    {
        if (featureNames.Count != featureCount)
        {
            throw new ArgumentException($"Expected {featureCount} feature names, got {featureNames.Count}.", nameof(featureNames));
        }

        for (var t = 0; t < trees.Count; t++)
        {
            if (trees[t].FindProblem(featureCount) is { } problem)
            {
                throw new ArgumentException($"Tree {t}: {problem}.", nameof(trees));
            }
        }

        _trees = [.. trees];
        FeatureCount = featureCount;
        FeatureNames = [.. featureNames];
        Options = options;
        Iterations = [.. iterations];
        BestIteration = bestIteration;

        var nodeCount = 0;
        var leafCount = 0;
        foreach (var tree in _trees)
        {
            nodeCount += tree.InternalCount;
            leafCount += tree.LeafCount;
        }

        _nodes = new PackedNode[nodeCount];
        _packedNodeValues = new double[nodeCount];
        _leafValues = new double[leafCount];
        _roots = new int[_trees.Length];
        _featureImportance = new double[featureCount];
        _walkNodes = new PackedNode[nodeCount + leafCount];
        _walkLeafValues = new double[nodeCount + leafCount];
        _walkRoots = new int[_trees.Length];
        _walkFirstLeaf = new int[_trees.Length];
        int nodeBase = 0, leafBase = 0;
        for (var t = 0; t < _trees.Length; t++)
        {
            var tree = _trees[t];
            for (var i = 0; i < tree.InternalCount; i++)
            {
                _nodes[nodeBase + i] = new PackedNode
                {
                    Threshold = tree.Threshold[i],
                    Feature = tree.SplitFeature[i],
                    Left = Globalise(tree.Left[i], nodeBase, leafBase),
                    Right = Globalise(tree.Right[i], nodeBase, leafBase),
                };
                _packedNodeValues[nodeBase + i] = tree.NodeValue[i];
                _featureImportance[tree.SplitFeature[i]] += tree.SplitGain[i];
            }

            tree.LeafValue.CopyTo(_leafValues, leafBase);
            var walkBase = nodeBase + leafBase;
            var firstLeaf = walkBase + tree.InternalCount;
            for (var i = 0; i < tree.InternalCount; i++)
            {
                _walkNodes[walkBase + i] = new PackedNode
                {
                    Threshold = tree.Threshold[i],
                    Feature = tree.SplitFeature[i],
                    Left = tree.Left[i] >= 0 ? walkBase + tree.Left[i] : firstLeaf + ~tree.Left[i],
                    Right = tree.Right[i] >= 0 ? walkBase + tree.Right[i] : firstLeaf + ~tree.Right[i],
                };
            }

            for (var l = 0; l < tree.LeafCount; l++)
            {
                // x > +∞ is false for every x and for NaN: a leaf always steps to itself.
                var self = firstLeaf + l;
                _walkNodes[self] = new PackedNode { Threshold = float.PositiveInfinity, Feature = 0, Left = self, Right = self };
                _walkLeafValues[self] = tree.LeafValue[l];
            }

            _walkRoots[t] = walkBase;
            _walkFirstLeaf[t] = firstLeaf;
            _roots[t] = tree.InternalCount > 0 ? nodeBase : ~leafBase;
            nodeBase += tree.InternalCount;
            leafBase += tree.LeafCount;
        }

        _bitvectorsFit = LayOutBitvectors(_trees, out _bitvectorNodes, out _bitvectorLeafValues, out _bitvectorNodesPerTree);
        _remainingMax = RemainingMax(_trees);
        _leafMagnitude = _trees.Sum(t => t.LeafValue.Max(Math.Abs));

        // A read-only view, so the shared model cannot be changed through a cast.
        FeatureImportance = Array.AsReadOnly(_featureImportance);
    }

    /// <summary>Number of features a row must have.</summary>
    public int FeatureCount { get; }

    /// <summary>Names of the features, one per column.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The options the model was trained with.</summary>
    public LambdaMartOptions Options { get; }

    /// <summary>Train/validation NDCG after every round that was run (including rounds past <see cref="BestIteration"/>).</summary>
    public IReadOnlyList<IterationMetrics> Iterations { get; }

    /// <summary>The round whose trees the model keeps (the last one unless early stopping cut it back).</summary>
    public int BestIteration { get; }

    /// <summary>Number of trees.</summary>
    public int TreeCount => _trees.Length;

    /// <summary>Total split gain of each feature over all trees (the usual "gain" importance).</summary>
    public IReadOnlyList<double> FeatureImportance { get; }

    internal IReadOnlyList<RegressionTree> Trees => _trees;

    /// <summary>Scores one row of <see cref="FeatureCount"/> values.</summary>
    public double Score(ReadOnlySpan<float> row)
    {
        RequireLength(row.Length, FeatureCount, nameof(row));
        Span<double> score = [0];
        ScoreBlock(row, 1, score);
        return score[0];
    }

    /// <summary>
    /// Scores <paramref name="rows"/> rows given row-major (<paramref name="rows"/> × <see cref="FeatureCount"/>).
    /// Each score equals <see cref="Score(ReadOnlySpan{float})"/> of its row exactly.
    /// </summary>
    public void Score(ReadOnlySpan<float> rowMajor, int rows, Span<double> scores)
        => Score(rowMajor, rows, scores, ScoringKernel.Auto);

    /// <summary>
    /// <see cref="Score(ReadOnlySpan{float}, int, Span{double})"/> with a chosen kernel (every
    /// kernel gives the same bits; tests and benchmarks compare them).
    /// </summary>
    internal void Score(ReadOnlySpan<float> rowMajor, int rows, Span<double> scores, ScoringKernel kernel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        RequireLength(rowMajor.Length, rows * FeatureCount, nameof(rowMajor));
        RequireLength(scores.Length, rows, nameof(scores));
        if (Resolve(kernel) == ScoringKernel.LeafBitvectors)
        {
            ScoreWithBitvectors(rowMajor, rows, scores);
            return;
        }

        for (var start = 0; start < rows; start += ScoreBlockRows)
        {
            var count = Math.Min(ScoreBlockRows, rows - start);
            ScoreBlock(rowMajor.Slice(start * FeatureCount, count * FeatureCount), count, scores.Slice(start, count));
        }
    }

    /// <summary>
    /// Saabas contributions of one row: along each tree's path, the change of the expected value
    /// from a node to the child taken is credited to the node's split feature. Index
    /// <see cref="FeatureCount"/> holds the bias (the sum of the trees' root expected values), so the
    /// entries add up to <see cref="Score(ReadOnlySpan{float})"/> up to rounding.
    /// </summary>
    /// <param name="row">The row, <see cref="FeatureCount"/> values.</param>
    /// <param name="contributions">Receives <see cref="FeatureCount"/> + 1 values.</param>
    public void Contributions(ReadOnlySpan<float> row, Span<double> contributions)
    {
        RequireLength(row.Length, FeatureCount, nameof(row));
        RequireLength(contributions.Length, FeatureCount + 1, nameof(contributions));
        contributions.Clear();
        for (var t = 0; t < _roots.Length; t++)
        {
            var node = _roots[t];
            if (node < 0)
            {
                contributions[FeatureCount] += _leafValues[~node];
                continue;
            }

            var value = _packedNodeValues[node];
            contributions[FeatureCount] += value;
            while (node >= 0)
            {
                ref readonly var n = ref _nodes[node];
                var next = row[n.Feature] > n.Threshold ? n.Right : n.Left;
                var nextValue = next >= 0 ? _packedNodeValues[next] : _leafValues[~next];
                contributions[n.Feature] += nextValue - value;
                value = nextValue;
                node = next;
            }
        }
    }

    /// <summary>Total number of internal nodes the rows pass through (for per-node timing in benchmarks).</summary>
    internal long CountNodeVisits(ReadOnlySpan<float> rowMajor, int rows)
    {
        long visits = 0;
        for (var r = 0; r < rows; r++)
        {
            var row = rowMajor.Slice(r * FeatureCount, FeatureCount);
            foreach (var root in _roots)
            {
                var node = root;
                while (node >= 0)
                {
                    visits++;
                    node = row[_nodes[node].Feature] > _nodes[node].Threshold ? _nodes[node].Right : _nodes[node].Left;
                }
            }
        }

        return visits;
    }

    private void ScoreBlock(ReadOnlySpan<float> block, int rows, Span<double> scores)
    {
        scores.Clear();
        AddTrees(block, rows, scores, _walkRoots, _walkFirstLeaf);
    }

    /// <summary>
    /// Adds to each row's sum the leaf values of the trees whose walk roots and first leaves are
    /// given, one tree after another in the order given.
    /// </summary>
    private void AddTrees(ReadOnlySpan<float> block, int rows, Span<double> scores, ReadOnlySpan<int> roots, ReadOnlySpan<int> firstLeaves)
    {
        var featureCount = FeatureCount;
        ref var x = ref MemoryMarshal.GetReference(block);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_walkNodes);
        ref var leafValues = ref MemoryMarshal.GetArrayDataReference(_walkLeafValues);
        ref var sums = ref MemoryMarshal.GetReference(scores);

        // Indices were validated when the model was built (every feature < FeatureCount, every
        // child inside its tree), and block holds rows × FeatureCount values, so reads stay in range.
        // Walking eight rows at once keeps eight independent load chains in flight and replaces a
        // mispredicted loop exit per row and tree by one per eight rows (measured: 5.2 ns per node
        // visit one row at a time with a branch, 2.2 with four rows, 1.6 with eight); rows that reach a leaf
        // early keep stepping on the self-looping leaf. A tree with a single leaf (FeatureCount
        // may be 0) never steps at all.
        for (var t = 0; t < roots.Length; t++)
        {
            var root = roots[t];
            var firstLeaf = firstLeaves[t];
            if (root == firstLeaf)
            {
                var value = Unsafe.Add(ref leafValues, root);
                for (var r = 0; r < rows; r++)
                {
                    Unsafe.Add(ref sums, r) += value;
                }

                continue;
            }

            var r8 = 0;
            for (; r8 + 8 <= rows; r8 += 8)
            {
                ref var row0 = ref Unsafe.Add(ref x, r8 * featureCount);
                ref var row1 = ref Unsafe.Add(ref row0, featureCount);
                ref var row2 = ref Unsafe.Add(ref row1, featureCount);
                ref var row3 = ref Unsafe.Add(ref row2, featureCount);
                ref var row4 = ref Unsafe.Add(ref row3, featureCount);
                ref var row5 = ref Unsafe.Add(ref row4, featureCount);
                ref var row6 = ref Unsafe.Add(ref row5, featureCount);
                ref var row7 = ref Unsafe.Add(ref row6, featureCount);
                int n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root;
                do
                {
                    n0 = Step(ref nodes, ref row0, n0);
                    n1 = Step(ref nodes, ref row1, n1);
                    n2 = Step(ref nodes, ref row2, n2);
                    n3 = Step(ref nodes, ref row3, n3);
                    n4 = Step(ref nodes, ref row4, n4);
                    n5 = Step(ref nodes, ref row5, n5);
                    n6 = Step(ref nodes, ref row6, n6);
                    n7 = Step(ref nodes, ref row7, n7);
                }
                while (((n0 < firstLeaf) | (n1 < firstLeaf) | (n2 < firstLeaf) | (n3 < firstLeaf))
                    | ((n4 < firstLeaf) | (n5 < firstLeaf) | (n6 < firstLeaf) | (n7 < firstLeaf)));

                Unsafe.Add(ref sums, r8) += Unsafe.Add(ref leafValues, n0);
                Unsafe.Add(ref sums, r8 + 1) += Unsafe.Add(ref leafValues, n1);
                Unsafe.Add(ref sums, r8 + 2) += Unsafe.Add(ref leafValues, n2);
                Unsafe.Add(ref sums, r8 + 3) += Unsafe.Add(ref leafValues, n3);
                Unsafe.Add(ref sums, r8 + 4) += Unsafe.Add(ref leafValues, n4);
                Unsafe.Add(ref sums, r8 + 5) += Unsafe.Add(ref leafValues, n5);
                Unsafe.Add(ref sums, r8 + 6) += Unsafe.Add(ref leafValues, n6);
                Unsafe.Add(ref sums, r8 + 7) += Unsafe.Add(ref leafValues, n7);
            }

            for (; r8 < rows; r8++)
            {
                ref var row = ref Unsafe.Add(ref x, r8 * featureCount);
                var node = root;
                do
                {
                    node = Step(ref nodes, ref row, node);
                }
                while (node < firstLeaf);

                Unsafe.Add(ref sums, r8) += Unsafe.Add(ref leafValues, node);
            }
        }
    }

    /// <summary>One step down the tree: right when x[feature] &gt; threshold, left otherwise (and for NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref PackedNode nodes, ref float row, int node)
    {
        ref var n = ref Unsafe.Add(ref nodes, node);

        // Right follows Left in the struct: index the pair with the comparison (0 or 1), so the
        // choice is data flow, not a branch the CPU would mispredict half the time.
        var goRight = Unsafe.Add(ref row, n.Feature) > n.Threshold;
        return Unsafe.Add(ref n.Left, Unsafe.As<bool, byte>(ref goRight));
    }

    private static int Globalise(int child, int nodeBase, int leafBase)
        => child >= 0 ? child + nodeBase : ~(~child + leafBase);

    private static void RequireLength(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"Expected {expected} values, got {actual}.", name);
        }
    }

    /// <summary>A node as the scorer reads it: 16 bytes, four to a cache line.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PackedNode
    {
        public float Threshold;
        public int Feature;
        public int Left;
        public int Right;
    }
}

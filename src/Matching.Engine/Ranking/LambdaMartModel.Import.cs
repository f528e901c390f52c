namespace Matching.Engine.Ranking;

/// <summary>
/// One regression tree trained elsewhere (for example by ML.NET), as flat parallel arrays.
/// Internal nodes are numbered from 0 (the root); a child index c &lt; 0 names leaf ~c. A row goes
/// left when <c>x[feature] &lt;= threshold</c>, the convention of ML.NET, LightGBM and this engine.
/// </summary>
/// <param name="SplitFeature">Feature tested at each internal node.</param>
/// <param name="Threshold">Threshold at each internal node.</param>
/// <param name="Left">Left child of each internal node (≥ 0 a node, &lt; 0 the complement of a leaf).</param>
/// <param name="Right">Right child of each internal node.</param>
/// <param name="SplitGain">Gain of each split, for importance (0 when unknown).</param>
/// <param name="LeafValue">Value of each leaf, already multiplied by the tree's weight.</param>
/// <param name="LeafCover">Training rows (or hessian) in each leaf: weights the node values the contributions use.</param>
public sealed record ImportedTree(int[] SplitFeature, float[] Threshold, int[] Left, int[] Right, double[] SplitGain, double[] LeafValue, double[] LeafCover);

public sealed partial class LambdaMartModel
{
    /// <summary>
    /// Builds a servable model from trees trained by another library. Nodes are renumbered so that
    /// children follow their parents (the order this engine's scorer and checks rely on); node
    /// values for contributions are the cover-weighted means of the leaves below, so the
    /// contributions of a row still add up exactly to its score.
    /// </summary>
    /// <param name="trees">The trees, in boosting order.</param>
    /// <param name="featureNames">One name per feature column.</param>
    /// <param name="options">What to record as the training options (tree count, leaves, learning rate).</param>
    /// <exception cref="ArgumentException">A tree is malformed: the message names it and the problem.</exception>
    public static LambdaMartModel FromImportedTrees(IReadOnlyList<ImportedTree> trees, IReadOnlyList<string> featureNames, LambdaMartOptions options)
    {
        ArgumentNullException.ThrowIfNull(trees);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var built = new RegressionTree[trees.Count];
        for (var t = 0; t < trees.Count; t++)
        {
            built[t] = Renumber(trees[t], t);
        }

        return new LambdaMartModel(built, featureNames.Count, featureNames, options, [], trees.Count);
    }

    private static RegressionTree Renumber(ImportedTree tree, int index)
    {
        var n = tree.SplitFeature.Length;
        if (tree.Threshold.Length != n || tree.Left.Length != n || tree.Right.Length != n || tree.SplitGain.Length != n
            || tree.LeafValue.Length != n + 1 || tree.LeafCover.Length != n + 1)
        {
            throw new ArgumentException($"Tree {index}: {n} internal nodes need {n} thresholds, children and gains and {n + 1} leaf values and covers.", nameof(tree));
        }

        if (n == 0)
        {
            return new RegressionTree([], [], [], [], [], [], [.. tree.LeafValue], [.. tree.LeafCover]);
        }

        // Pre-order from the root: every child gets a higher number than its parent, leaves in the
        // order they are reached. A node seen twice or a child out of range is reported, not looped on.
        var nodeOrder = new List<int>(n);
        var newNode = new int[n];
        var newLeaf = new int[n + 1];
        Array.Fill(newNode, -1);
        Array.Fill(newLeaf, -1);
        var leaves = 0;
        var stack = new Stack<int>();
        stack.Push(0);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if ((uint)node >= (uint)n || newNode[node] >= 0)
            {
                throw new ArgumentException($"Tree {index}: node {node} is out of range or reached twice.", nameof(tree));
            }

            newNode[node] = nodeOrder.Count;
            nodeOrder.Add(node);
            foreach (var child in (ReadOnlySpan<int>)[tree.Right[node], tree.Left[node]])
            {
                if (child >= 0)
                {
                    stack.Push(child);
                }
                else if (~child > n || newLeaf[~child] >= 0)
                {
                    throw new ArgumentException($"Tree {index}: leaf {~child} is out of range or reached twice.", nameof(tree));
                }
            }
        }

        if (nodeOrder.Count != n)
        {
            throw new ArgumentException($"Tree {index}: only {nodeOrder.Count} of {n} internal nodes are reachable from the root.", nameof(tree));
        }

        // Leaves numbered in the order the new node order meets them (left before right).
        foreach (var node in nodeOrder)
        {
            foreach (var child in (ReadOnlySpan<int>)[tree.Left[node], tree.Right[node]])
            {
                if (child < 0)
                {
                    if (newLeaf[~child] >= 0)
                    {
                        throw new ArgumentException($"Tree {index}: leaf {~child} has two parents.", nameof(tree));
                    }

                    newLeaf[~child] = leaves++;
                }
            }
        }

        if (leaves != n + 1)
        {
            throw new ArgumentException($"Tree {index}: {leaves} of {n + 1} leaves are reachable from the root.", nameof(tree));
        }

        var feature = new int[n];
        var threshold = new float[n];
        var left = new int[n];
        var right = new int[n];
        var gain = new double[n];
        var leafValue = new double[n + 1];
        var leafCover = new double[n + 1];
        int Map(int child) => child >= 0 ? newNode[child] : ~newLeaf[~child];
        for (var i = 0; i < n; i++)
        {
            var old = nodeOrder[i];
            feature[i] = tree.SplitFeature[old];
            threshold[i] = tree.Threshold[old];
            left[i] = Map(tree.Left[old]);
            right[i] = Map(tree.Right[old]);
            gain[i] = tree.SplitGain[old];
        }

        for (var l = 0; l <= n; l++)
        {
            leafValue[newLeaf[l]] = tree.LeafValue[l];
            leafCover[newLeaf[l]] = tree.LeafCover[l];
        }

        return new RegressionTree(feature, threshold, left, right, gain, RegressionTree.ComputeNodeValues(left, right, leafValue, leafCover), leafValue, leafCover);
    }

    /// <summary>
    /// Counts the rows that reach each leaf of an imported tree (left when x ≤ threshold), so a
    /// caller can give the training rows as the leaves' covers.
    /// </summary>
    /// <param name="tree">A tree with any leaf covers (they are ignored).</param>
    /// <param name="rowMajor">Rows, row-major.</param>
    /// <param name="featureCount">Values per row.</param>
    /// <returns>Rows per leaf, indexed as the tree's leaves.</returns>
    public static double[] CountRowsPerLeaf(ImportedTree tree, ReadOnlySpan<float> rowMajor, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        var counts = new double[tree.LeafValue.Length];
        var rows = rowMajor.Length / featureCount;
        for (var r = 0; r < rows; r++)
        {
            var row = rowMajor.Slice(r * featureCount, featureCount);
            var node = tree.SplitFeature.Length == 0 ? ~0 : 0;
            for (var steps = 0; node >= 0 && steps <= tree.SplitFeature.Length; steps++)
            {
                node = row[tree.SplitFeature[node]] > tree.Threshold[node] ? tree.Right[node] : tree.Left[node];
            }

            if (node < 0)
            {
                counts[~node]++;
            }
        }

        return counts;
    }
}

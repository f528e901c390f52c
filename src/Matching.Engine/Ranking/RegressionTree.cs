namespace Matching.Engine.Ranking;

/// <summary>
/// One tree of the ensemble as flat parallel arrays. Internal nodes are 0..n−1 with node 0 the
/// root; a child index c &lt; 0 names leaf ~c. A row goes left when <c>x[feature] &lt;= threshold</c>
/// or x is NaN. A tree with no split has no internal nodes and a single leaf.
/// </summary>
internal sealed class RegressionTree
{
    public RegressionTree(
        int[] splitFeature,
        float[] threshold,
        int[] left,
        int[] right,
        double[] splitGain,
        double[] nodeValue,
        double[] leafValue,
        double[] leafHessian)
    {
        SplitFeature = splitFeature;
        Threshold = threshold;
        Left = left;
        Right = right;
        SplitGain = splitGain;
        NodeValue = nodeValue;
        LeafValue = leafValue;
        LeafHessian = leafHessian;
    }

    public int[] SplitFeature { get; }
    public float[] Threshold { get; }
    public int[] Left { get; }
    public int[] Right { get; }
    public double[] SplitGain { get; }

    /// <summary>Expected value at each internal node: the hessian-weighted mean of the leaf values below it (for Saabas contributions).</summary>
    public double[] NodeValue { get; }
    public double[] LeafValue { get; }

    /// <summary>Sum of training hessians in each leaf (its "cover").</summary>
    public double[] LeafHessian { get; }

    public int InternalCount => SplitFeature.Length;

    public int LeafCount => LeafValue.Length;

    /// <summary>The hessian-weighted mean of the leaves under each internal node.</summary>
    public static double[] ComputeNodeValues(int[] left, int[] right, double[] leafValue, double[] leafHessian)
    {
        var n = left.Length;
        var weight = new double[n];
        var weighted = new double[n];

        // Children always have higher indices than their parent, so one backward pass suffices.
        for (var node = n - 1; node >= 0; node--)
        {
            foreach (var child in (ReadOnlySpan<int>)[left[node], right[node]])
            {
                if (child < 0)
                {
                    weight[node] += leafHessian[~child];
                    weighted[node] += leafHessian[~child] * leafValue[~child];
                }
                else
                {
                    weight[node] += weight[child];
                    weighted[node] += weighted[child];
                }
            }
        }

        var values = new double[n];
        for (var node = 0; node < n; node++)
        {
            values[node] = weight[node] > 0 ? weighted[node] / weight[node] : 0;
        }

        return values;
    }

    /// <summary>
    /// Checks lengths, indices, finiteness and that the nodes form one tree (every node and leaf
    /// reached exactly once, children after parents). Returns the problem, or null.
    /// </summary>
    public string? FindProblem(int featureCount)
    {
        var n = SplitFeature.Length;
        if (Threshold.Length != n || Left.Length != n || Right.Length != n || SplitGain.Length != n || NodeValue.Length != n)
        {
            return $"node arrays have different lengths (splitFeature {n}, threshold {Threshold.Length}, left {Left.Length}, right {Right.Length}, splitGain {SplitGain.Length}, nodeValue {NodeValue.Length})";
        }

        if (LeafValue.Length != n + 1 || LeafHessian.Length != n + 1)
        {
            return $"{n} internal nodes need {n + 1} leaves, found leafValue {LeafValue.Length} and leafHessian {LeafHessian.Length}";
        }

        var nodeSeen = new bool[n];
        var leafSeen = new bool[n + 1];
        for (var node = 0; node < n; node++)
        {
            if ((uint)SplitFeature[node] >= (uint)featureCount)
            {
                return $"node {node} splits on feature {SplitFeature[node]}, outside 0..{featureCount - 1}";
            }

            if (!float.IsFinite(Threshold[node]) || !double.IsFinite(SplitGain[node]) || !double.IsFinite(NodeValue[node]))
            {
                return $"node {node} has a non-finite threshold, gain or value";
            }

            foreach (var child in (ReadOnlySpan<int>)[Left[node], Right[node]])
            {
                if (child >= 0)
                {
                    if (child <= node || child >= n)
                    {
                        return $"node {node} has child node {child}; children must come after their parent and be below {n}";
                    }

                    if (nodeSeen[child])
                    {
                        return $"node {child} has two parents";
                    }

                    nodeSeen[child] = true;
                }
                else
                {
                    if (~child > n)
                    {
                        return $"node {node} has child leaf {~child}, outside 0..{n}";
                    }

                    if (leafSeen[~child])
                    {
                        return $"leaf {~child} has two parents";
                    }

                    leafSeen[~child] = true;
                }
            }
        }

        for (var node = 1; node < n; node++)
        {
            if (!nodeSeen[node])
            {
                return $"node {node} is not reachable from the root";
            }
        }

        for (var leaf = 0; leaf <= n; leaf++)
        {
            if (n > 0 && !leafSeen[leaf])
            {
                return $"leaf {leaf} is not reachable from the root";
            }

            if (!double.IsFinite(LeafValue[leaf]) || !(LeafHessian[leaf] >= 0) || double.IsInfinity(LeafHessian[leaf]))
            {
                return $"leaf {leaf} has a non-finite value or hessian";
            }
        }

        return null;
    }
}

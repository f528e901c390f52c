using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Matching.Engine.Ranking;

/// <summary>Sums of gradients, hessians and rows that fell into one bin of one feature.</summary>
internal struct HistogramBin
{
    public double Gradient;
    public double Hessian;
    public int Count;
}

/// <summary>The best way found to split one leaf.</summary>
internal struct SplitCandidate
{
    public static readonly SplitCandidate None = new() { Gain = double.NegativeInfinity, Feature = -1 };

    public double Gain;
    public int Feature;
    public int Bin;
    public double LeftGradient;
    public double LeftHessian;
    public int LeftCount;

    /// <summary>Higher gain wins; on equal gain the lower feature, then the lower bin, so the choice never depends on scheduling.</summary>
    public readonly bool BetterThan(in SplitCandidate other)
        => Gain > other.Gain || (Gain == other.Gain && Feature >= 0 && (other.Feature < 0 || Feature < other.Feature));
}

/// <summary>A tree as grown on bins: internal nodes 0..L−2, leaves 0..L−1, a child &lt; 0 is leaf ~child.</summary>
internal sealed class GrownTree(int leaves)
{
    public int LeafCount { get; set; } = 1;
    public int[] SplitFeature { get; } = new int[leaves - 1];
    public int[] SplitBin { get; } = new int[leaves - 1];
    public int[] Left { get; } = new int[leaves - 1];
    public int[] Right { get; } = new int[leaves - 1];
    public double[] SplitGain { get; } = new double[leaves - 1];
    public double[] LeafGradient { get; } = new double[leaves];
    public double[] LeafHessian { get; } = new double[leaves];
    public int[] LeafRowCount { get; } = new int[leaves];

    /// <summary>Leaf l's rows are RowIndex[LeafBegin[l] .. LeafBegin[l] + LeafRowCount[l]).</summary>
    public int[] LeafBegin { get; } = new int[leaves];
}

/// <summary>
/// Grows one regression tree best-first on binned features: the leaf whose best split gains
/// most is split next, until the leaf budget is spent or no split gains. Children's histograms
/// come from building the smaller child and subtracting it from the parent.
/// </summary>
internal sealed class TreeLearner
{
    /// <summary>Splits must gain more than this; smaller gains are rounding noise.</summary>
    private const double MinSplitGain = 1e-12;

    /// <summary>Below this many (row × feature) updates a histogram pass is not worth a thread hand-off.</summary>
    private const long ParallelWorkThreshold = 65_536;

    /// <summary>Partial histograms per feature pass (see <see cref="Build"/>).</summary>
    private const int SubHistograms = 4;

    /// <summary>Below this many rows per bin, clearing and merging partial histograms costs more than it saves.</summary>
    private const int SubHistogramMinRowsPerBin = 8;

    private const int MaxBinsPerFeature = 256;

    private readonly HistogramBin[] _serialScratch = new HistogramBin[SubHistograms * MaxBinsPerFeature];
    private readonly FeatureBins _bins;
    private readonly int _maxLeaves;
    private readonly int _minLeafRows;
    private readonly double _minLeafHessian;
    private readonly double _l2;
    private readonly ParallelOptions _parallel;
    private readonly int _threads;
    private readonly int[] _rowIndex;
    private readonly int[] _partitionBuffer;
    private readonly double[] _orderedGradients;
    private readonly double[] _orderedHessians;
    private readonly HistogramBin[][] _histogramPool;
    private readonly int[] _leafHistogram;
    private readonly SplitCandidate[] _leafBest;
    private readonly SplitCandidate[] _smallCandidates;
    private readonly SplitCandidate[] _largeCandidates;

    public TreeLearner(FeatureBins bins, LambdaMartOptions options)
    {
        _bins = bins;
        _maxLeaves = options.Leaves;
        _minLeafRows = options.MinLeafRows;
        _minLeafHessian = options.MinLeafHessian;
        _l2 = options.L2;
        _threads = options.Threads;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads };
        _rowIndex = new int[bins.Rows];
        _partitionBuffer = new int[bins.Rows];
        _orderedGradients = new double[bins.Rows];
        _orderedHessians = new double[bins.Rows];
        _histogramPool = new HistogramBin[_maxLeaves][];
        for (var i = 0; i < _maxLeaves; i++)
        {
            _histogramPool[i] = new HistogramBin[bins.TotalBins];
        }

        _leafHistogram = new int[_maxLeaves];
        _leafBest = new SplitCandidate[_maxLeaves];
        _smallCandidates = new SplitCandidate[bins.FeatureCount];
        _largeCandidates = new SplitCandidate[bins.FeatureCount];
    }

    /// <summary>Row positions of the last grown tree's leaves (see <see cref="GrownTree.LeafBegin"/>).</summary>
    public int[] RowIndex => _rowIndex;

    /// <summary>Grows a tree on the given rows (ascending) using only the given features (ascending).</summary>
    public GrownTree Grow(double[] gradients, double[] hessians, ReadOnlySpan<int> rows, int[] features)
    {
        var tree = new GrownTree(_maxLeaves);
        rows.CopyTo(_rowIndex);
        var rootCount = rows.Length;

        double g = 0, h = 0;
        for (var i = 0; i < rootCount; i++)
        {
            g += gradients[_rowIndex[i]];
            h += hessians[_rowIndex[i]];
        }

        tree.LeafBegin[0] = 0;
        tree.LeafRowCount[0] = rootCount;
        tree.LeafGradient[0] = g;
        tree.LeafHessian[0] = h;
        _leafHistogram[0] = 0;
        var nextFreeHistogram = 1;

        // The root: build its histogram and best split (the "large" slots are unused here).
        GatherOrdered(gradients, hessians, 0, rootCount);
        ForEachFeature(features, rootCount, (i, scratch) =>
        {
            var f = features[i];
            var hist = FeatureSlice(_histogramPool[0], f);
            Build(hist, f, 0, rootCount, g, h, scratch);
            _smallCandidates[i] = BestSplit(f, hist, g, h, rootCount);
        });
        _leafBest[0] = Reduce(_smallCandidates, features.Length);
        var parentOfLeaf = new int[_maxLeaves];
        parentOfLeaf[0] = -1;

        while (tree.LeafCount < _maxLeaves)
        {
            var leaf = -1;
            for (var l = 0; l < tree.LeafCount; l++)
            {
                if (_leafBest[l].Feature >= 0 && _leafBest[l].Gain > MinSplitGain
                    && (leaf < 0 || _leafBest[l].Gain > _leafBest[leaf].Gain))
                {
                    leaf = l;
                }
            }

            if (leaf < 0)
            {
                break;
            }

            var split = _leafBest[leaf];
            var node = tree.LeafCount - 1;
            var right = tree.LeafCount;
            tree.LeafCount++;

            // Hook the new internal node where the leaf was.
            tree.SplitFeature[node] = split.Feature;
            tree.SplitBin[node] = split.Bin;
            tree.SplitGain[node] = split.Gain;
            tree.Left[node] = ~leaf;
            tree.Right[node] = ~right;
            var parent = parentOfLeaf[leaf];
            if (parent >= 0)
            {
                if (tree.Left[parent] == ~leaf)
                {
                    tree.Left[parent] = node;
                }
                else
                {
                    tree.Right[parent] = node;
                }
            }

            parentOfLeaf[leaf] = node;
            parentOfLeaf[right] = node;

            var begin = tree.LeafBegin[leaf];
            var count = tree.LeafRowCount[leaf];
            var leftCount = Partition(begin, count, _bins.Columns[split.Feature], (byte)split.Bin);
            var parentG = tree.LeafGradient[leaf];
            var parentH = tree.LeafHessian[leaf];
            tree.LeafBegin[right] = begin + leftCount;
            tree.LeafRowCount[right] = count - leftCount;
            tree.LeafRowCount[leaf] = leftCount;
            tree.LeafGradient[leaf] = split.LeftGradient;
            tree.LeafHessian[leaf] = split.LeftHessian;
            tree.LeafGradient[right] = parentG - split.LeftGradient;
            tree.LeafHessian[right] = parentH - split.LeftHessian;

            if (tree.LeafCount == _maxLeaves)
            {
                break;
            }

            // Build the smaller child, derive the larger as parent − smaller in the parent's buffer.
            var (small, large) = leftCount <= count - leftCount ? (leaf, right) : (right, leaf);
            var parentHistogram = _leafHistogram[leaf];
            var smallHistogram = nextFreeHistogram++;
            _leafHistogram[small] = smallHistogram;
            _leafHistogram[large] = parentHistogram;
            var smallBegin = tree.LeafBegin[small];
            var smallCount = tree.LeafRowCount[small];
            var largeCount = tree.LeafRowCount[large];
            double smallG = tree.LeafGradient[small], smallH = tree.LeafHessian[small];
            double largeG = tree.LeafGradient[large], largeH = tree.LeafHessian[large];
            var smallPool = _histogramPool[smallHistogram];
            var largePool = _histogramPool[parentHistogram];
            GatherOrdered(gradients, hessians, smallBegin, smallCount);
            ForEachFeature(features, smallCount, (i, scratch) =>
            {
                var f = features[i];
                var smallHist = FeatureSlice(smallPool, f);
                var largeHist = FeatureSlice(largePool, f);
                Build(smallHist, f, smallBegin, smallCount, smallG, smallH, scratch);
                Subtract(largeHist, smallHist);
                _smallCandidates[i] = BestSplit(f, smallHist, smallG, smallH, smallCount);
                _largeCandidates[i] = BestSplit(f, largeHist, largeG, largeH, largeCount);
            });
            _leafBest[small] = Reduce(_smallCandidates, features.Length);
            _leafBest[large] = Reduce(_largeCandidates, features.Length);
        }

        return tree;
    }

    private void ForEachFeature(int[] features, int rows, Action<int, HistogramBin[]> body)
    {
        if (_threads == 1 || (long)rows * features.Length < ParallelWorkThreshold)
        {
            for (var i = 0; i < features.Length; i++)
            {
                body(i, _serialScratch);
            }

            return;
        }

        Parallel.For(0, features.Length, _parallel, () => new HistogramBin[SubHistograms * MaxBinsPerFeature], (i, _, scratch) =>
        {
            body(i, scratch);
            return scratch;
        }, static _ => { });
    }

    private static SplitCandidate Reduce(SplitCandidate[] candidates, int count)
    {
        var best = SplitCandidate.None;
        for (var i = 0; i < count; i++)
        {
            if (candidates[i].BetterThan(best))
            {
                best = candidates[i];
            }
        }

        return best;
    }

    private Span<HistogramBin> FeatureSlice(HistogramBin[] pool, int feature)
        => pool.AsSpan(_bins.BinOffsets[feature], _bins.BinCount(feature));

    /// <summary>Copies the leaf's gradients into row-position order so histogram passes read them sequentially.</summary>
    private void GatherOrdered(double[] gradients, double[] hessians, int begin, int count)
    {
        var rows = _rowIndex.AsSpan(begin, count);
        var og = _orderedGradients.AsSpan(0, count);
        var oh = _orderedHessians.AsSpan(0, count);
        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            og[i] = gradients[r];
            oh[i] = hessians[r];
        }
    }

    /// <summary>
    /// Accumulates the leaf's rows into the feature's histogram. Large leaves use four interleaved
    /// partial histograms merged at the end: consecutive rows often share a bin (0 in sparse
    /// features), and one histogram would make every update wait for the previous one's store.
    /// </summary>
    private void Build(Span<HistogramBin> hist, int feature, int begin, int count, double totalGradient, double totalHessian, HistogramBin[] scratch)
    {
        var column = _bins.Columns[feature];
        if ((uint)(begin + count) > (uint)_rowIndex.Length || column.Length != _rowIndex.Length)
        {
            throw new InvalidOperationException("Histogram range outside the row index.");
        }

        // Every index below is in range: rows come from _rowIndex[begin..begin+count), each row
        // is < column.Length, and a bin is < hist.Length because the bins were built with it.
        ref var rows = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_rowIndex), begin);
        ref var col = ref MemoryMarshal.GetArrayDataReference(column);
        ref var og = ref MemoryMarshal.GetArrayDataReference(_orderedGradients);
        ref var oh = ref MemoryMarshal.GetArrayDataReference(_orderedHessians);
        var bins = hist.Length;
        var defaultBin = _bins.DefaultBin[feature];
        if (defaultBin >= 0)
        {
            // Most rows sit in the default bin: skip them (a well-predicted branch) and give the
            // bin what the leaf's totals leave over.
            hist.Clear();
            ref var h0 = ref MemoryMarshal.GetReference(hist);
            for (var i = 0; i < count; i++)
            {
                var binIndex = Unsafe.Add(ref col, Unsafe.Add(ref rows, i));
                if (binIndex != defaultBin)
                {
                    ref var bin = ref Unsafe.Add(ref h0, binIndex);
                    bin.Gradient += Unsafe.Add(ref og, i);
                    bin.Hessian += Unsafe.Add(ref oh, i);
                    bin.Count++;
                }
            }

            double otherG = 0, otherH = 0;
            var otherCount = 0;
            for (var k = 0; k < bins; k++)
            {
                otherG += hist[k].Gradient;
                otherH += hist[k].Hessian;
                otherCount += hist[k].Count;
            }

            var rest = count - otherCount;
            hist[defaultBin] = rest == 0
                ? default
                : new HistogramBin { Gradient = totalGradient - otherG, Hessian = Math.Max(totalHessian - otherH, 0), Count = rest };
            return;
        }

        if (count < SubHistogramMinRowsPerBin * bins)
        {
            hist.Clear();
            ref var h0 = ref MemoryMarshal.GetReference(hist);
            for (var i = 0; i < count; i++)
            {
                ref var bin = ref Unsafe.Add(ref h0, Unsafe.Add(ref col, Unsafe.Add(ref rows, i)));
                bin.Gradient += Unsafe.Add(ref og, i);
                bin.Hessian += Unsafe.Add(ref oh, i);
                bin.Count++;
            }

            return;
        }

        var parts = scratch.AsSpan(0, SubHistograms * bins);
        parts.Clear();
        ref var a = ref MemoryMarshal.GetReference(parts);
        ref var b = ref Unsafe.Add(ref a, bins);
        ref var c = ref Unsafe.Add(ref a, 2 * bins);
        ref var d = ref Unsafe.Add(ref a, 3 * bins);
        var i4 = 0;
        for (; i4 + 4 <= count; i4 += 4)
        {
            ref var ba = ref Unsafe.Add(ref a, Unsafe.Add(ref col, Unsafe.Add(ref rows, i4)));
            ref var bb = ref Unsafe.Add(ref b, Unsafe.Add(ref col, Unsafe.Add(ref rows, i4 + 1)));
            ref var bc = ref Unsafe.Add(ref c, Unsafe.Add(ref col, Unsafe.Add(ref rows, i4 + 2)));
            ref var bd = ref Unsafe.Add(ref d, Unsafe.Add(ref col, Unsafe.Add(ref rows, i4 + 3)));
            ba.Gradient += Unsafe.Add(ref og, i4);
            ba.Hessian += Unsafe.Add(ref oh, i4);
            ba.Count++;
            bb.Gradient += Unsafe.Add(ref og, i4 + 1);
            bb.Hessian += Unsafe.Add(ref oh, i4 + 1);
            bb.Count++;
            bc.Gradient += Unsafe.Add(ref og, i4 + 2);
            bc.Hessian += Unsafe.Add(ref oh, i4 + 2);
            bc.Count++;
            bd.Gradient += Unsafe.Add(ref og, i4 + 3);
            bd.Hessian += Unsafe.Add(ref oh, i4 + 3);
            bd.Count++;
        }

        for (; i4 < count; i4++)
        {
            ref var ba = ref Unsafe.Add(ref a, Unsafe.Add(ref col, Unsafe.Add(ref rows, i4)));
            ba.Gradient += Unsafe.Add(ref og, i4);
            ba.Hessian += Unsafe.Add(ref oh, i4);
            ba.Count++;
        }

        for (var bin = 0; bin < bins; bin++)
        {
            ref readonly var pa = ref Unsafe.Add(ref a, bin);
            ref readonly var pb = ref Unsafe.Add(ref b, bin);
            ref readonly var pc = ref Unsafe.Add(ref c, bin);
            ref readonly var pd = ref Unsafe.Add(ref d, bin);
            hist[bin] = new HistogramBin
            {
                Gradient = (pa.Gradient + pb.Gradient) + (pc.Gradient + pd.Gradient),
                Hessian = (pa.Hessian + pb.Hessian) + (pc.Hessian + pd.Hessian),
                Count = pa.Count + pb.Count + pc.Count + pd.Count,
            };
        }
    }

    private static void Subtract(Span<HistogramBin> parentBecomesLarge, ReadOnlySpan<HistogramBin> small)
    {
        for (var b = 0; b < small.Length; b++)
        {
            ref var p = ref parentBecomesLarge[b];
            p.Gradient -= small[b].Gradient;
            p.Hessian -= small[b].Hessian;
            p.Count -= small[b].Count;
        }
    }

    private SplitCandidate BestSplit(int feature, ReadOnlySpan<HistogramBin> hist, double g, double h, int count)
    {
        var best = SplitCandidate.None;
        if (count < 2 * _minLeafRows || h < 2 * _minLeafHessian)
        {
            return best;
        }

        var parentScore = g * g / (h + _l2);
        double gl = 0, hl = 0;
        var cl = 0;
        for (var b = 0; b + 1 < hist.Length; b++)
        {
            if (hist[b].Count == 0)
            {
                // An empty bin moves no row: the split after it equals the one before it.
                continue;
            }

            gl += hist[b].Gradient;
            hl += hist[b].Hessian;
            cl += hist[b].Count;
            if (cl < _minLeafRows || hl < _minLeafHessian)
            {
                continue;
            }

            var cr = count - cl;
            var hr = h - hl;
            if (cr < _minLeafRows || hr < _minLeafHessian)
            {
                break;
            }

            var gr = g - gl;
            var gain = (gl * gl / (hl + _l2)) + (gr * gr / (hr + _l2)) - parentScore;
            if (gain > best.Gain)
            {
                best = new SplitCandidate
                {
                    Gain = gain,
                    Feature = feature,
                    Bin = b,
                    LeftGradient = gl,
                    LeftHessian = hl,
                    LeftCount = cl,
                };
            }
        }

        return best;
    }

    /// <summary>Stable partition of a leaf's rows: bin ≤ split first. Keeps row positions ascending within each child.</summary>
    private int Partition(int begin, int count, byte[] column, byte splitBin)
    {
        var write = begin;
        var spill = 0;
        for (var i = begin; i < begin + count; i++)
        {
            var row = _rowIndex[i];
            if (column[row] <= splitBin)
            {
                _rowIndex[write++] = row;
            }
            else
            {
                _partitionBuffer[spill++] = row;
            }
        }

        _partitionBuffer.AsSpan(0, spill).CopyTo(_rowIndex.AsSpan(write));
        return write - begin;
    }
}

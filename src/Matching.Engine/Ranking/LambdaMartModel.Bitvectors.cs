using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Matching.Engine.Ranking;

public sealed partial class LambdaMartModel
{
    /// <summary>Most leaves a tree may have for the bitvector kernel: one permute of eight doubles picks a leaf value.</summary>
    internal const int BitvectorLeaves = 8;

    /// <summary>Rows in one vector of the bitvector kernel: sixteen floats or 32-bit bitvectors to 512 bits.</summary>
    private const int LaneCount = 16;

    /// <summary>Rows the bitvector kernel takes through a tree together: four vectors.</summary>
    private const int BlockRows = 4 * LaneCount;

    // Per tree, _bitvectorNodesPerTree nodes (the most any tree has; smaller trees are padded with
    // nodes no row passes) and BitvectorLeaves leaf values in the order ExitLeaf indexes them.
    private readonly BitvectorNode[] _bitvectorNodes;
    private readonly double[] _bitvectorLeafValues;
    private readonly int _bitvectorNodesPerTree;
    private readonly bool _bitvectorsFit;

    /// <summary>Whether this machine runs the bitvector kernel in hardware.</summary>
    internal static bool BitvectorHardware => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>The kernel <see cref="ScoringKernel.Auto"/> stands for on this machine and model.</summary>
    internal ScoringKernel PreferredKernel => _bitvectorsFit && BitvectorHardware ? ScoringKernel.LeafBitvectors : ScoringKernel.Traversal;

    /// <summary>Scores rows as <see cref="Score(ReadOnlySpan{float}, int, Span{double})"/> does, with the bitvector kernel.</summary>
    private void ScoreWithBitvectors(ReadOnlySpan<float> rowMajor, int rows, Span<double> scores)
    {
        var blockBuffer = ArrayPool<float>.Shared.Rent(BlockRows * FeatureCount);
        var sums = (Span<double>)stackalloc double[BlockRows];
        try
        {
            var block = blockBuffer.AsSpan(0, BlockRows * FeatureCount);
            for (var start = 0; start < rows; start += BlockRows)
            {
                var count = Math.Min(BlockRows, rows - start);
                Transpose(rowMajor.Slice(start * FeatureCount, count * FeatureCount), count, block);
                sums.Clear();
                AddTreesWithBitvectors(block, count, sums, 0, TreeCount);
                sums[..count].CopyTo(scores.Slice(start, count));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(blockBuffer);
        }
    }

    private ScoringKernel Resolve(ScoringKernel kernel) => kernel switch
    {
        ScoringKernel.Auto => PreferredKernel,
        ScoringKernel.LeafBitvectors when !_bitvectorsFit => throw new NotSupportedException($"The bitvector kernel needs trees of at most {BitvectorLeaves} leaves."),
        ScoringKernel.LeafBitvectors when !BitvectorHardware => throw new PlatformNotSupportedException("The bitvector kernel needs AVX-512F."),
        _ => kernel,
    };

    /// <summary>
    /// Copies row-major rows into the kernel's layout: blocks of 64 rows, and within a block each
    /// feature's 64 values together, as four vectors of sixteen rows. Within a vector, row i of
    /// the sixteen sits in lane 2i (i &lt; 8) or 2(i − 8) + 1, so that the even lanes are rows 0-7
    /// and the odd lanes rows 8-15: each half then indexes its eight leaf values with one shift
    /// (see <see cref="AddTreesWithBitvectors"/>). Lanes past the last row repeat it.
    /// </summary>
    private void Transpose(ReadOnlySpan<float> rowMajor, int rows, Span<float> blocks)
    {
        if (FeatureCount == 0)
        {
            return;
        }

        Span<int> starts = stackalloc int[LaneCount];
        for (var first = 0; first < rows; first += LaneCount)
        {
            var count = Math.Min(LaneCount, rows - first);
            for (var i = 0; i < LaneCount; i++)
            {
                starts[Lane(i)] = (first + Math.Min(i, count - 1)) * FeatureCount;
            }

            PlaceVector(rowMajor, starts, blocks, first / LaneCount);
        }
    }

    /// <summary><see cref="Transpose"/> of the rows <paramref name="index"/> names, in that order.</summary>
    private void Gather(ReadOnlySpan<float> rowMajor, ReadOnlySpan<int> index, Span<float> blocks)
    {
        if (FeatureCount == 0)
        {
            return;
        }

        Span<int> starts = stackalloc int[LaneCount];
        for (var first = 0; first < index.Length; first += LaneCount)
        {
            var count = Math.Min(LaneCount, index.Length - first);
            for (var i = 0; i < LaneCount; i++)
            {
                starts[Lane(i)] = index[first + Math.Min(i, count - 1)] * FeatureCount;
            }

            PlaceVector(rowMajor, starts, blocks, first / LaneCount);
        }
    }

    /// <summary>The lane of row i of sixteen: even lanes hold rows 0-7, odd lanes rows 8-15.</summary>
    private static int Lane(int i) => ((i & 7) << 1) | (i >> 3);

    /// <summary>
    /// Writes the sixteen rows starting at <paramref name="starts"/> (in lane order) as vector
    /// <paramref name="vector"/> of the layout: sixteen features at a time by a 16 × 16 transpose
    /// in registers, any features left over one by one.
    /// </summary>
    private void PlaceVector(ReadOnlySpan<float> rowMajor, ReadOnlySpan<int> starts, Span<float> blocks, int vector)
    {
        var n = FeatureCount;
        ref var x = ref MemoryMarshal.GetReference(rowMajor);
        ref var destination = ref blocks[((vector / 4) * n * BlockRows) + ((vector % 4) * LaneCount)];
        var f = 0;

        // Every start is a row's first value and f + 16 ≤ n, so each load stays inside its row.
        for (; f + LaneCount <= n; f += LaneCount)
        {
            // Stage 1 and 2 interleave 32- then 64-bit elements within each 128-bit lane: u[4a + b]
            // then holds, for rows 4a..4a+3, features b, 4 + b, 8 + b and 12 + b, one per 128-bit lane.
            var (u0, u1, u2, u3) = Quad(ref x, starts, 0, f);
            var (u4, u5, u6, u7) = Quad(ref x, starts, 4, f);
            var (u8, u9, u10, u11) = Quad(ref x, starts, 8, f);
            var (u12, u13, u14, u15) = Quad(ref x, starts, 12, f);

            // Stage 3 pairs rows 0-3 with 4-7 (and 8-11 with 12-15), stage 4 the two halves.
            Store(Avx512F.Shuffle4x128(u0, u4, 0x88), Avx512F.Shuffle4x128(u8, u12, 0x88), ref destination, f, 0, 8);
            Store(Avx512F.Shuffle4x128(u1, u5, 0x88), Avx512F.Shuffle4x128(u9, u13, 0x88), ref destination, f, 1, 9);
            Store(Avx512F.Shuffle4x128(u2, u6, 0x88), Avx512F.Shuffle4x128(u10, u14, 0x88), ref destination, f, 2, 10);
            Store(Avx512F.Shuffle4x128(u3, u7, 0x88), Avx512F.Shuffle4x128(u11, u15, 0x88), ref destination, f, 3, 11);
            Store(Avx512F.Shuffle4x128(u0, u4, 0xDD), Avx512F.Shuffle4x128(u8, u12, 0xDD), ref destination, f, 4, 12);
            Store(Avx512F.Shuffle4x128(u1, u5, 0xDD), Avx512F.Shuffle4x128(u9, u13, 0xDD), ref destination, f, 5, 13);
            Store(Avx512F.Shuffle4x128(u2, u6, 0xDD), Avx512F.Shuffle4x128(u10, u14, 0xDD), ref destination, f, 6, 14);
            Store(Avx512F.Shuffle4x128(u3, u7, 0xDD), Avx512F.Shuffle4x128(u11, u15, 0xDD), ref destination, f, 7, 15);
        }

        for (; f < n; f++)
        {
            for (var lane = 0; lane < LaneCount; lane++)
            {
                Unsafe.Add(ref destination, (f * BlockRows) + lane) = Unsafe.Add(ref x, starts[lane] + f);
            }
        }

        static void Store(Vector512<float> v, Vector512<float> w, ref float destination, int f, int low, int high)
        {
            Avx512F.Shuffle4x128(v, w, 0x88).StoreUnsafe(ref destination, (nuint)((f + low) * BlockRows));
            Avx512F.Shuffle4x128(v, w, 0xDD).StoreUnsafe(ref destination, (nuint)((f + high) * BlockRows));
        }
    }

    /// <summary>Stages 1 and 2 of the 16 × 16 transpose for the four rows from lane <paramref name="lane"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Quad(ref float x, ReadOnlySpan<int> starts, int lane, int f)
    {
        var r0 = Vector512.LoadUnsafe(ref x, (nuint)(starts[lane] + f));
        var r1 = Vector512.LoadUnsafe(ref x, (nuint)(starts[lane + 1] + f));
        var r2 = Vector512.LoadUnsafe(ref x, (nuint)(starts[lane + 2] + f));
        var r3 = Vector512.LoadUnsafe(ref x, (nuint)(starts[lane + 3] + f));
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        return (
            Avx512F.UnpackLow(t0, t2).AsSingle(),
            Avx512F.UnpackHigh(t0, t2).AsSingle(),
            Avx512F.UnpackLow(t1, t3).AsSingle(),
            Avx512F.UnpackHigh(t1, t3).AsSingle());
    }

    /// <summary>Rounds a row count up to whole blocks of the kernel's layout.</summary>
    private static int PaddedToBlocks(int rows) => (rows + BlockRows - 1) / BlockRows * BlockRows;

    /// <summary>
    /// Adds trees [from, to) to the sums of the first <paramref name="rows"/> rows laid out by
    /// <see cref="Transpose"/>, one tree after another per row. <paramref name="sums"/> has room
    /// for the rows rounded up to a multiple of sixteen; what lands past the last row is meaningless.
    /// </summary>
    private void AddTreesWithBitvectors(ReadOnlySpan<float> blocks, int rows, Span<double> sums, int from, int to)
    {
        // QuickScorer (Lucchese et al., SIGIR 2015) keeps, per row and tree, a bitvector of the
        // leaves still reachable. A node the row passes to the right rules out every leaf of its
        // left subtree; once every node has had its say, the row's exit leaf is the leftmost leaf
        // left. With at most eight leaves that is seven nodes a tree, so every node is tested for
        // sixteen rows at once instead of sorting thresholds to skip some: no branch depends on
        // the data, and nothing waits on a chain of loads as a traversal does. Four vectors go
        // through each tree together so that their independent work hides each other's latency.
        ref var x = ref MemoryMarshal.GetReference(blocks);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_bitvectorNodes);
        ref var leafValues = ref MemoryMarshal.GetArrayDataReference(_bitvectorLeafValues);
        ref var s = ref MemoryMarshal.GetReference(sums);
        var perTree = _bitvectorNodesPerTree;
        var blockSize = FeatureCount * BlockRows;
        var vectors = (rows + LaneCount - 1) / LaneCount;
        var v = 0;
        for (; v + 4 <= vectors; v += 4)
        {
            ref var block = ref Unsafe.Add(ref x, v / 4 * blockSize);
            ref var blockSums = ref Unsafe.Add(ref s, v * LaneCount);
            var low0 = Vector512.LoadUnsafe(ref blockSums);
            var high0 = Vector512.LoadUnsafe(ref blockSums, 8);
            var low1 = Vector512.LoadUnsafe(ref blockSums, 16);
            var high1 = Vector512.LoadUnsafe(ref blockSums, 24);
            var low2 = Vector512.LoadUnsafe(ref blockSums, 32);
            var high2 = Vector512.LoadUnsafe(ref blockSums, 40);
            var low3 = Vector512.LoadUnsafe(ref blockSums, 48);
            var high3 = Vector512.LoadUnsafe(ref blockSums, 56);
            for (var t = from; t < to; t++)
            {
                ref var node = ref Unsafe.Add(ref nodes, t * perTree);
                var reachable0 = AllLeaves;
                var reachable1 = AllLeaves;
                var reachable2 = AllLeaves;
                var reachable3 = AllLeaves;
                for (var i = 0; i < perTree; i++)
                {
                    ref var n = ref Unsafe.Add(ref node, i);
                    var threshold = Vector512.Create(n.Threshold);
                    var keep = Vector512.Create(n.Reachable);
                    ref var column = ref Unsafe.Add(ref block, n.Offset);

                    // θ < x is x > θ, false for NaN; written this way the load folds into the compare.
                    reachable0 = Vector512.ConditionalSelect(Vector512.LessThan(threshold, Vector512.LoadUnsafe(ref column)).AsUInt32(), reachable0 & keep, reachable0);
                    reachable1 = Vector512.ConditionalSelect(Vector512.LessThan(threshold, Vector512.LoadUnsafe(ref column, 16)).AsUInt32(), reachable1 & keep, reachable1);
                    reachable2 = Vector512.ConditionalSelect(Vector512.LessThan(threshold, Vector512.LoadUnsafe(ref column, 32)).AsUInt32(), reachable2 & keep, reachable2);
                    reachable3 = Vector512.ConditionalSelect(Vector512.LessThan(threshold, Vector512.LoadUnsafe(ref column, 48)).AsUInt32(), reachable3 & keep, reachable3);
                }

                var table = Vector512.LoadUnsafe(ref leafValues, (nuint)(t * BitvectorLeaves));
                var exit0 = ExitLeaf(reachable0);
                var exit1 = ExitLeaf(reachable1);
                var exit2 = ExitLeaf(reachable2);
                var exit3 = ExitLeaf(reachable3);
                low0 += Avx512F.PermuteVar8x64(table, (exit0 >>> 23).AsInt64());
                high0 += Avx512F.PermuteVar8x64(table, (exit0 >>> 55).AsInt64());
                low1 += Avx512F.PermuteVar8x64(table, (exit1 >>> 23).AsInt64());
                high1 += Avx512F.PermuteVar8x64(table, (exit1 >>> 55).AsInt64());
                low2 += Avx512F.PermuteVar8x64(table, (exit2 >>> 23).AsInt64());
                high2 += Avx512F.PermuteVar8x64(table, (exit2 >>> 55).AsInt64());
                low3 += Avx512F.PermuteVar8x64(table, (exit3 >>> 23).AsInt64());
                high3 += Avx512F.PermuteVar8x64(table, (exit3 >>> 55).AsInt64());
            }

            low0.StoreUnsafe(ref blockSums);
            high0.StoreUnsafe(ref blockSums, 8);
            low1.StoreUnsafe(ref blockSums, 16);
            high1.StoreUnsafe(ref blockSums, 24);
            low2.StoreUnsafe(ref blockSums, 32);
            high2.StoreUnsafe(ref blockSums, 40);
            low3.StoreUnsafe(ref blockSums, 48);
            high3.StoreUnsafe(ref blockSums, 56);
        }

        // The last block's remaining vectors, one at a time.
        for (; v < vectors; v++)
        {
            ref var vector = ref Unsafe.Add(ref x, (v / 4 * blockSize) + (v % 4 * LaneCount));
            ref var vectorSums = ref Unsafe.Add(ref s, v * LaneCount);
            var low = Vector512.LoadUnsafe(ref vectorSums);
            var high = Vector512.LoadUnsafe(ref vectorSums, 8);
            for (var t = from; t < to; t++)
            {
                ref var node = ref Unsafe.Add(ref nodes, t * perTree);
                var reachable = AllLeaves;
                for (var i = 0; i < perTree; i++)
                {
                    ref var n = ref Unsafe.Add(ref node, i);
                    var right = Vector512.LessThan(Vector512.Create(n.Threshold), Vector512.LoadUnsafe(ref vector, (nuint)n.Offset));
                    reachable = Vector512.ConditionalSelect(right.AsUInt32(), reachable & Vector512.Create(n.Reachable), reachable);
                }

                var table = Vector512.LoadUnsafe(ref leafValues, (nuint)(t * BitvectorLeaves));
                var exit = ExitLeaf(reachable);
                low += Avx512F.PermuteVar8x64(table, (exit >>> 23).AsInt64());
                high += Avx512F.PermuteVar8x64(table, (exit >>> 55).AsInt64());
            }

            low.StoreUnsafe(ref vectorSums);
            high.StoreUnsafe(ref vectorSums, 8);
        }
    }

    /// <summary>Every leaf reachable: leaf position p (left to right) is bit 7 − p.</summary>
    private static Vector512<uint> AllLeaves => Vector512.Create((uint)((1 << BitvectorLeaves) - 1));

    /// <summary>
    /// Each row's exit leaf, the leftmost still reachable, is the highest set bit 7 − p of its
    /// bitvector. A bitvector below 256 converts exactly to a float whose exponent field (bits
    /// 23-30) is 127 + 7 − p; the floats are returned as they lie, two to a 64-bit lane, so that
    /// shifting the lanes right by 23 (or 55) brings the even (or odd) rows' exponents to the
    /// low bits. vpermpd reads the low three bits of each index, (6 − p) mod 8: the slot where
    /// <see cref="LayOutBitvectors"/> put leaf p's value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> ExitLeaf(Vector512<uint> reachable) =>
        Vector512.ConvertToSingle(reachable.AsInt32()).AsUInt64();

    /// <summary>
    /// Lays the trees out for the bitvector kernel, or returns false when a tree has more than
    /// <see cref="BitvectorLeaves"/> leaves.
    /// </summary>
    private static bool LayOutBitvectors(RegressionTree[] trees, out BitvectorNode[] nodes, out double[] leafValues, out int perTree)
    {
        nodes = [];
        leafValues = [];
        perTree = 0;
        foreach (var tree in trees)
        {
            if (tree.LeafCount > BitvectorLeaves)
            {
                return false;
            }

            perTree = Math.Max(perTree, tree.InternalCount);
        }

        nodes = new BitvectorNode[trees.Length * perTree];
        leafValues = new double[trees.Length * BitvectorLeaves];
        Span<int> leafAt = stackalloc int[BitvectorLeaves];
        for (var t = 0; t < trees.Length; t++)
        {
            var tree = trees[t];
            var treeNodes = nodes.AsSpan(t * perTree, perTree);

            // Padding: x > +∞ is false for every x and NaN, so these nodes never rule a leaf out.
            treeNodes.Fill(new BitvectorNode { Offset = 0, Threshold = float.PositiveInfinity, Reachable = uint.MaxValue });
            PlaceLeaves(tree, tree.InternalCount > 0 ? 0 : ~0, 0, leafAt, treeNodes);
            for (var p = 0; p < tree.LeafCount; p++)
            {
                // Where ExitLeaf's index for position p points.
                leafValues[(t * BitvectorLeaves) + ((6 - p) & 7)] = tree.LeafValue[leafAt[p]];
            }
        }

        return true;
    }

    /// <summary>
    /// Numbers the leaves under <paramref name="child"/> left to right from <paramref name="first"/>
    /// and sets, for each internal node below, the leaves still reachable once a row goes right
    /// there. Returns how many leaves there are under <paramref name="child"/>.
    /// </summary>
    private static int PlaceLeaves(RegressionTree tree, int child, int first, Span<int> leafAt, Span<BitvectorNode> nodes)
    {
        if (child < 0)
        {
            leafAt[first] = ~child;
            return 1;
        }

        var left = PlaceLeaves(tree, tree.Left[child], first, leafAt, nodes);
        var right = PlaceLeaves(tree, tree.Right[child], first + left, leafAt, nodes);
        nodes[child] = new BitvectorNode
        {
            Offset = tree.SplitFeature[child] * BlockRows,
            Threshold = tree.Threshold[child],
            Reachable = ~(((1u << left) - 1) << (BitvectorLeaves - first - left)),
        };
        return left + right;
    }

    /// <summary>A node as the bitvector kernel reads it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct BitvectorNode
    {
        /// <summary>Where the split feature's values start in a block of rows: feature × 64.</summary>
        public int Offset;
        public float Threshold;

        /// <summary>The tree's leaves except those of this node's left subtree: what a row going right can still reach.</summary>
        public uint Reachable;
    }
}

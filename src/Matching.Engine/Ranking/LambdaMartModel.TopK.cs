using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Matching.Engine.Ranking;

/// <summary>
/// How the early-exit scorer walks the trees: every row goes through the first
/// <see cref="FirstBlock"/> trees (0: none); the <see cref="LeadersPerKept"/> × keep rows then in
/// the lead are scored in full; the others are bounded then and after every further
/// <see cref="Block"/> trees.
/// </summary>
internal readonly record struct PruningSchedule(int FirstBlock, int Block, int LeadersPerKept)
{
    /// <summary>
    /// Measured on a nightly-size model (200 trees, 8 leaves, boosted from the rule-based prior)
    /// and 1,000 simulated candidates per match, keep 10 (bench/README.md, "Top-k scoring"):
    /// five leaders per row kept pay for themselves (one leader per kept row walks 124 trees per
    /// candidate in all, five 94), later first blocks pick better leaders, and bounding every 10
    /// trees rather than 5 walks two more trees per candidate but spends less time on the bounds.
    /// </summary>
    public static PruningSchedule Default { get; } = new(FirstBlock: 20, Block: 10, LeadersPerKept: 5);
}

public sealed partial class LambdaMartModel
{
    /// <summary>
    /// The bitvector kernel repacks the rows it carries once at most this share of them is still
    /// alive (bench/README.md, "Top-k scoring").
    /// </summary>
    private const double BitvectorRepackShare = 0.7;

    // [t] is the sum of the largest leaf value of trees t.. (so [TreeCount] is 0): after t trees
    // a row's score is at most its partial score plus this.
    private readonly double[] _remainingMax;

    // Σ over trees of the largest |leaf value|: bounds every partial tree sum, so rounding slack can be scaled to it.
    private readonly double _leafMagnitude;

    /// <summary>
    /// Scores rows only as far as needed to find the <paramref name="keep"/> best of them exactly
    /// (early exit, after Cambazoglu et al., WSDM 2010). Every row is walked through the first
    /// trees; a few times <paramref name="keep"/> rows then in the lead are scored in full, and
    /// the <paramref name="keep"/>-th best of their scores is a threshold the
    /// <paramref name="keep"/>-th best score of all cannot be below. Every other row goes on in
    /// blocks of trees while its partial score plus the largest leaf value of every tree left
    /// could still reach that threshold, and is dropped as soon as it cannot.
    /// </summary>
    /// <param name="rowMajor">The rows, <paramref name="rows"/> × <see cref="FeatureCount"/> values.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="offsets">
    /// Empty, or one exactly known term per row added to its trees' sum: the row's score is then
    /// <c>trees + offsets[row]</c>, computed as that one addition (a prior the trees were boosted from).
    /// </param>
    /// <param name="keep">How many of the best rows the caller needs; at least 1.</param>
    /// <param name="scores">
    /// <paramref name="rows"/> entries; receives, for every survivor, exactly the score
    /// <see cref="Score(ReadOnlySpan{float}, int, Span{double})"/> gives (plus its offset). Other
    /// rows' entries are unspecified.
    /// </param>
    /// <param name="survivors">Room for <paramref name="rows"/> row indices; receives the survivors in ascending order.</param>
    /// <returns>
    /// The number of survivors: exactly the rows whose score is at least the
    /// <paramref name="keep"/>-th largest score, ties included (every row when
    /// <paramref name="keep"/> ≥ <paramref name="rows"/>). A NaN score counts as −∞.
    /// </returns>
    public int ScoreCandidates(ReadOnlySpan<float> rowMajor, int rows, ReadOnlySpan<double> offsets, int keep, Span<double> scores, Span<int> survivors)
        => ScoreCandidates(rowMajor, rows, offsets, keep, scores, survivors, PruningSchedule.Default, []);

    /// <summary>
    /// <see cref="ScoreCandidates(ReadOnlySpan{float}, int, ReadOnlySpan{double}, int, Span{double}, Span{int})"/>
    /// with a chosen schedule and kernel; when <paramref name="treeWalks"/> is not empty it
    /// receives, per row, how many trees were walked for it (for measuring what the early exit saves).
    /// </summary>
    internal int ScoreCandidates(
        ReadOnlySpan<float> rowMajor,
        int rows,
        ReadOnlySpan<double> offsets,
        int keep,
        Span<double> scores,
        Span<int> survivors,
        PruningSchedule schedule,
        Span<int> treeWalks,
        ScoringKernel kernel = ScoringKernel.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        ArgumentOutOfRangeException.ThrowIfNegative(schedule.FirstBlock, nameof(schedule));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(schedule.Block, nameof(schedule));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(schedule.LeadersPerKept, nameof(schedule));
        RequireLength(rowMajor.Length, rows * FeatureCount, nameof(rowMajor));
        RequireLength(scores.Length, rows, nameof(scores));
        if (!offsets.IsEmpty)
        {
            RequireLength(offsets.Length, rows, nameof(offsets));
        }

        if (survivors.Length < rows)
        {
            throw new ArgumentException($"Expected room for {rows} row indices, got {survivors.Length}.", nameof(survivors));
        }

        if (!treeWalks.IsEmpty)
        {
            RequireLength(treeWalks.Length, rows, nameof(treeWalks));
        }

        kernel = Resolve(kernel);
        var maxOffset = 0.0;
        foreach (var offset in offsets)
        {
            // Math.Max propagates NaN, so one NaN offset leaves maxOffset non-finite.
            maxOffset = Math.Max(maxOffset, Math.Abs(offset));
        }

        var scratchBuffer = ArrayPool<double>.Shared.Rent(rows);
        try
        {
            var scratch = scratchBuffer.AsSpan(0, rows);

            // Bounds need finite offsets (∞ − ∞ has no order), and leave nothing to drop when the
            // first block is the whole model or every row is kept: then every row is scored in full.
            var leaders = (int)Math.Min(rows, (long)keep * schedule.LeadersPerKept);
            if (leaders == rows || !double.IsFinite(maxOffset) || schedule.FirstBlock >= TreeCount)
            {
                Score(rowMajor, rows, scores, kernel);
                for (var r = 0; r < rows; r++)
                {
                    scores[r] = Total(scores, offsets, r, r);
                    survivors[r] = r;
                }

                treeWalks.Fill(TreeCount);
                return KeepBest(scores, survivors[..rows], keep, scratch);
            }

            // Room for whole blocks of the bitvector kernel's layout, which also holds the rows row-major.
            var padded = PaddedToBlocks(rows);
            var paddedLeaders = PaddedToBlocks(leaders);
            var packedBuffer = ArrayPool<float>.Shared.Rent(padded * FeatureCount);
            var partialBuffer = ArrayPool<double>.Shared.Rent(padded);
            var indexBuffer = ArrayPool<int>.Shared.Rent(rows);
            var offsetsBuffer = ArrayPool<double>.Shared.Rent(rows);
            var leaderRowsBuffer = ArrayPool<float>.Shared.Rent(paddedLeaders * FeatureCount);
            var leaderSumsBuffer = ArrayPool<double>.Shared.Rent(paddedLeaders);
            var leaderIndexBuffer = ArrayPool<int>.Shared.Rent(leaders);
            try
            {
                var buffers = new EarlyExitBuffers(
                    packedBuffer.AsSpan(0, padded * FeatureCount),
                    partialBuffer.AsSpan(0, padded),
                    scratch,
                    indexBuffer.AsSpan(0, rows),
                    offsetsBuffer.AsSpan(0, rows),
                    leaderRowsBuffer.AsSpan(0, paddedLeaders * FeatureCount),
                    leaderSumsBuffer.AsSpan(0, paddedLeaders),
                    leaderIndexBuffer.AsSpan(0, leaders));
                return ScoreWithEarlyExit(rowMajor, rows, offsets, maxOffset, keep, scores, survivors, schedule, treeWalks, kernel, buffers);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(packedBuffer);
                ArrayPool<double>.Shared.Return(partialBuffer);
                ArrayPool<int>.Shared.Return(indexBuffer);
                ArrayPool<double>.Shared.Return(offsetsBuffer);
                ArrayPool<float>.Shared.Return(leaderRowsBuffer);
                ArrayPool<double>.Shared.Return(leaderSumsBuffer);
                ArrayPool<int>.Shared.Return(leaderIndexBuffer);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratchBuffer);
        }
    }

    /// <summary>Internal nodes one row passes through in the first <paramref name="trees"/> trees (for measuring the early exit).</summary>
    internal int NodeVisitsInFirstTrees(ReadOnlySpan<float> row, int trees)
    {
        RequireLength(row.Length, FeatureCount, nameof(row));
        var visits = 0;
        for (var t = 0; t < trees; t++)
        {
            var firstLeaf = _walkFirstLeaf[t];
            for (var node = _walkRoots[t]; node < firstLeaf; visits++)
            {
                ref readonly var n = ref _walkNodes[node];
                node = row[n.Feature] > n.Threshold ? n.Right : n.Left;
            }
        }

        return visits;
    }

    /// <summary>
    /// The k-th largest value (1-based) of values that hold no NaN, by quickselect; the values are
    /// reordered. Falls back to sorting the remaining range if the pivots keep splitting badly, so
    /// the worst case stays O(n log n).
    /// </summary>
    internal static double KthLargest(Span<double> values, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, values.Length);
        int lo = 0, hi = values.Length, target = k - 1;
        var rounds = (2 * BitOperations.Log2((uint)values.Length)) + 4;
        while (hi - lo > 1)
        {
            if (rounds-- == 0)
            {
                values[lo..hi].Sort(static (a, b) => b.CompareTo(a));
                return values[target];
            }

            // Three ways: above the pivot, equal to it, below it. The pivot is one of the values,
            // so every round takes at least that one out of the range.
            var range = values[lo..hi];
            var pivot = MedianOfThree(range[0], range[range.Length / 2], range[^1]);
            var above = lo + MoveToFront(range, pivot, orEqual: false);
            if (target < above)
            {
                hi = above;
                continue;
            }

            var notBelow = above + MoveToFront(values[above..hi], pivot, orEqual: true);
            if (target < notBelow)
            {
                return pivot;
            }

            lo = notBelow;
        }

        return values[target];
    }

    /// <summary>
    /// Moves the values above <paramref name="pivot"/> (or equal to it too) to the front and
    /// returns how many there are. Every value is swapped and the front advances only past a moved
    /// one, so no branch depends on the data: quickselect's comparisons would otherwise be
    /// mispredicted about half the time.
    /// </summary>
    private static int MoveToFront(Span<double> values, double pivot, bool orEqual)
    {
        var front = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var value = values[i];
            values[i] = values[front];
            values[front] = value;
            front += (orEqual ? value >= pivot : value > pivot) ? 1 : 0;
        }

        return front;
    }

    private int ScoreWithEarlyExit(
        ReadOnlySpan<float> rowMajor,
        int rows,
        ReadOnlySpan<double> offsets,
        double maxOffset,
        int keep,
        Span<double> scores,
        Span<int> survivors,
        PruningSchedule schedule,
        Span<int> treeWalks,
        ScoringKernel kernel,
        EarlyExitBuffers buffers)
    {
        var trees = TreeCount;
        var packed = buffers.Packed;
        var partial = buffers.Partial;
        var scratch = buffers.Scratch;
        var index = buffers.Index;
        var packedOffsets = buffers.Offsets;
        var leaderRows = buffers.LeaderRows;
        var leaderSums = buffers.LeaderSums;
        var leaderIndex = buffers.LeaderIndex;
        var leaders = leaderIndex.Length;

        // Every partial sum, bound and score is at most _leafMagnitude + maxOffset in size and
        // comes from at most trees + 2 roundings, so a computed bound is off by less than
        // (trees + 2) · 2⁻⁵² of that; four times that is slack enough that rounding can never drop
        // a row whose score ties the keep-th, and far too little to matter for pruning.
        var slack = 4.0 * (trees + 2) * (Math.BitIncrement(1.0) - 1.0) * (_leafMagnitude + maxOffset);

        // Every row through the first block (the traversal reads the rows in place). The sums add
        // the trees in Score's order into a zeroed double, so a row that goes the distance has
        // Score's bits.
        var walked = schedule.FirstBlock;
        partial.Clear();
        if (kernel == ScoringKernel.LeafBitvectors)
        {
            Transpose(rowMajor, rows, packed);
            AddTrees(kernel, packed, rows, partial, 0, walked);
        }
        else
        {
            AddTrees(kernel, rowMajor, rows, partial, 0, walked);
        }

        PickLeaders(partial[..rows], offsets, scratch, leaderIndex);
        for (var l = 0; l < leaders; l++)
        {
            leaderSums[l] = partial[leaderIndex[l]];
        }

        Pack(kernel, rowMajor, leaderIndex, leaderRows);
        AddTrees(kernel, leaderRows, leaders, leaderSums, walked, trees);
        var leaderScores = scratch[..leaders];
        for (var l = 0; l < leaders; l++)
        {
            var row = leaderIndex[l];
            scores[row] = Total(leaderSums, offsets, l, row);
            leaderScores[l] = scores[row];
            if (!treeWalks.IsEmpty)
            {
                treeWalks[row] = trees;
            }
        }

        // At least keep leaders score this much, so the keep-th best score of all is not below it.
        var threshold = KthLargest(leaderScores, keep) - slack;

        // The others go on while their partial score plus the largest leaf value of every tree
        // left can still reach the threshold. They start where the first block left them, each
        // with its offset beside its partial sum so that a bound reads both in step; a leader's
        // partial sum becomes −∞, which every bound drops.
        for (var r = 0; r < rows; r++)
        {
            index[r] = r;
        }

        if (offsets.IsEmpty)
        {
            packedOffsets[..rows].Clear();
        }
        else
        {
            offsets.CopyTo(packedOffsets);
        }

        foreach (var row in leaderIndex)
        {
            partial[row] = double.NegativeInfinity;
        }

        // Packed rows: alive ones, and ones dropped since the last packing (partial sum −∞).
        // Until the first packing they are all the rows, in place: the traversal reads them from
        // the caller's rows, the bitvectors from their transposed copy.
        var packedCount = rows;
        var source = kernel == ScoringKernel.LeafBitvectors ? packed : rowMajor;
        var alive = DropBelow(partial[..rows], packedOffsets, _remainingMax[walked], threshold, index, treeWalks, walked);
        while (alive > 0)
        {
            // A traversal walks every packed row, so it repacks as soon as one is dropped. The
            // bitvector kernel takes a block of trees for a row in about the time a repacking takes
            // per row, so it carries dropped rows along until enough of them have gathered.
            if (alive < packedCount && (kernel == ScoringKernel.Traversal || alive <= packedCount * BitvectorRepackShare))
            {
                packedCount = Compact(partial[..packedCount], packedOffsets, index);
                Pack(kernel, rowMajor, index[..packedCount], packed);
                source = packed;
            }

            var next = Math.Min(trees, walked + schedule.Block);
            AddTrees(kernel, source, packedCount, partial, walked, next);
            walked = next;
            if (walked == trees)
            {
                break;
            }

            alive = DropBelow(partial[..packedCount], packedOffsets, _remainingMax[walked], threshold, index, treeWalks, walked);
        }

        alive = Compact(partial[..packedCount], packedOffsets, index);
        for (var i = 0; i < alive; i++)
        {
            var row = index[i];
            scores[row] = Total(partial, offsets, i, row);
            if (!treeWalks.IsEmpty)
            {
                treeWalks[row] = trees;
            }
        }

        // Survivors in row order: the rows that went the distance merged with the leaders.
        int a = 0, b = 0, m = 0;
        while (a < alive || b < leaders)
        {
            survivors[m++] = b == leaders || (a < alive && index[a] < leaderIndex[b]) ? index[a++] : leaderIndex[b++];
        }

        return KeepBest(scores, survivors[..m], keep, scratch);
    }

    /// <summary>
    /// Puts in <paramref name="leaders"/>, in row order, the rows with the largest partial scores
    /// (sum plus offset), as many as it has room for, ties taken in row order.
    /// </summary>
    private static void PickLeaders(ReadOnlySpan<double> partial, ReadOnlySpan<double> offsets, Span<double> scratch, Span<int> leaders)
    {
        var totals = scratch[..partial.Length];
        AddOffsets(partial, offsets, totals);
        var cut = KthLargest(totals, leaders.Length);

        // Once more, as the selection reordered them.
        AddOffsets(partial, offsets, totals);
        var ties = leaders.Length;
        var r = 0;
        var l = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var t = ref MemoryMarshal.GetReference(totals);
            var bar = Vector512.Create(cut);
            for (; r + Vector512<double>.Count <= totals.Length; r += Vector512<double>.Count)
            {
                ties -= BitOperations.PopCount(Vector512.GreaterThan(Vector512.LoadUnsafe(ref t, (nuint)r), bar).ExtractMostSignificantBits());
            }

            for (; r < totals.Length; r++)
            {
                ties -= totals[r] > cut ? 1 : 0;
            }

            // Only the few rows at or above the cut are looked at one by one.
            for (r = 0; r + Vector512<double>.Count <= totals.Length; r += Vector512<double>.Count)
            {
                for (var bits = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref t, (nuint)r), bar).ExtractMostSignificantBits(); bits != 0; bits &= bits - 1)
                {
                    var row = r + BitOperations.TrailingZeroCount(bits);
                    if (totals[row] > cut || ties-- > 0)
                    {
                        leaders[l++] = row;
                    }
                }
            }
        }
        else
        {
            for (; r < totals.Length; r++)
            {
                ties -= totals[r] > cut ? 1 : 0;
            }

            r = 0;
        }

        for (; r < totals.Length; r++)
        {
            if (totals[r] > cut || (totals[r] == cut && ties-- > 0))
            {
                leaders[l++] = r;
            }
        }
    }

    /// <summary>Each sum plus its offset (the sum itself without offsets), as <see cref="Total"/> adds them.</summary>
    private static void AddOffsets(ReadOnlySpan<double> sums, ReadOnlySpan<double> offsets, Span<double> totals)
    {
        if (offsets.IsEmpty)
        {
            sums.CopyTo(totals);
            return;
        }

        var r = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var s = ref MemoryMarshal.GetReference(sums);
            ref var o = ref MemoryMarshal.GetReference(offsets);
            ref var t = ref MemoryMarshal.GetReference(totals);
            for (; r + Vector512<double>.Count <= totals.Length; r += Vector512<double>.Count)
            {
                (Vector512.LoadUnsafe(ref s, (nuint)r) + Vector512.LoadUnsafe(ref o, (nuint)r)).StoreUnsafe(ref t, (nuint)r);
            }
        }

        for (; r < totals.Length; r++)
        {
            totals[r] = sums[r] + offsets[r];
        }
    }

    /// <summary>
    /// Marks the packed rows that can no longer reach <paramref name="threshold"/> (partial sum
    /// plus offset plus <paramref name="remaining"/> below it) as dropped, by setting their partial
    /// sum to −∞ (which stays below every bound), records when they were dropped, and returns how
    /// many rows are left.
    /// </summary>
    private static int DropBelow(Span<double> partial, ReadOnlySpan<double> offsets, double remaining, double threshold, ReadOnlySpan<int> index, Span<int> treeWalks, int walked)
    {
        var alive = 0;
        var i = 0;

        // (partial + offset) + remaining, as the scalar loop adds it, so both drop the same rows.
        if (Vector512.IsHardwareAccelerated && treeWalks.IsEmpty)
        {
            ref var p = ref MemoryMarshal.GetReference(partial);
            ref var o = ref MemoryMarshal.GetReference(offsets);
            var rest = Vector512.Create(remaining);
            var bar = Vector512.Create(threshold);
            for (; i + Vector512<double>.Count <= partial.Length; i += Vector512<double>.Count)
            {
                var sums = Vector512.LoadUnsafe(ref p, (nuint)i);
                var drop = Vector512.LessThan(sums + Vector512.LoadUnsafe(ref o, (nuint)i) + rest, bar);
                Vector512.ConditionalSelect(drop, Vector512.Create(double.NegativeInfinity), sums).StoreUnsafe(ref p, (nuint)i);
                alive += Vector512<double>.Count - BitOperations.PopCount(drop.ExtractMostSignificantBits());
            }
        }

        for (; i < partial.Length; i++)
        {
            if (double.IsNegativeInfinity(partial[i]))
            {
                continue;
            }

            if (partial[i] + offsets[i] + remaining < threshold)
            {
                partial[i] = double.NegativeInfinity;
                if (!treeWalks.IsEmpty)
                {
                    treeWalks[index[i]] = walked;
                }

                continue;
            }

            alive++;
        }

        return alive;
    }

    /// <summary>
    /// Packs the rows not dropped (partial sum −∞) to the front, keeping their order, and returns
    /// how many there are.
    /// </summary>
    private static int Compact(Span<double> partial, Span<double> offsets, Span<int> index)
    {
        var kept = 0;
        for (var i = 0; i < partial.Length; i++)
        {
            // kept ≤ i: writing every row and advancing only past the kept ones never overwrites
            // a row not yet read, and no branch depends on which rows are kept.
            var sum = partial[i];
            index[kept] = index[i];
            offsets[kept] = offsets[i];
            partial[kept] = sum;
            kept += double.IsNegativeInfinity(sum) ? 0 : 1;
        }

        return kept;
    }

    /// <summary>
    /// Copies the rows <paramref name="index"/> names, in that order, into the layout the kernel
    /// reads: row-major for the traversal, blocks of columns for the bitvectors.
    /// </summary>
    private void Pack(ScoringKernel kernel, ReadOnlySpan<float> rowMajor, ReadOnlySpan<int> index, Span<float> packed)
    {
        if (kernel == ScoringKernel.LeafBitvectors)
        {
            Gather(rowMajor, index, packed);
            return;
        }

        var n = FeatureCount;
        for (var i = 0; i < index.Length; i++)
        {
            rowMajor.Slice(index[i] * n, n).CopyTo(packed.Slice(i * n, n));
        }
    }

    /// <summary>
    /// Adds trees [from, to) to the sums of the first <paramref name="rows"/> rows packed for the
    /// kernel. <paramref name="sums"/> has room for whole blocks of the bitvector kernel's layout.
    /// </summary>
    private void AddTrees(ScoringKernel kernel, ReadOnlySpan<float> packed, int rows, Span<double> sums, int from, int to)
    {
        if (kernel == ScoringKernel.LeafBitvectors)
        {
            AddTreesWithBitvectors(packed, rows, sums, from, to);
        }
        else
        {
            AddTreeRange(packed[..(rows * FeatureCount)], rows, sums[..rows], from, to);
        }
    }

    /// <summary>Adds trees [from, to) to the sums of contiguous rows, a block of rows at a time so they stay in L1.</summary>
    private void AddTreeRange(ReadOnlySpan<float> rowMajor, int rows, Span<double> sums, int from, int to)
    {
        var roots = _walkRoots.AsSpan(from, to - from);
        var firstLeaves = _walkFirstLeaf.AsSpan(from, to - from);
        for (var start = 0; start < rows; start += ScoreBlockRows)
        {
            var count = Math.Min(ScoreBlockRows, rows - start);
            AddTrees(rowMajor.Slice(start * FeatureCount, count * FeatureCount), count, sums.Slice(start, count), roots, firstLeaves);
        }
    }

    /// <summary>The trees' sum at position <paramref name="at"/> plus the offset of its row, exactly as the full score adds it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Total(ReadOnlySpan<double> sums, ReadOnlySpan<double> offsets, int at, int row) =>
        offsets.IsEmpty ? sums[at] : sums[at] + offsets[row];

    /// <summary>
    /// Keeps, in place and in their order, the rows whose score is at least the keep-th largest of
    /// their scores (NaN counting as −∞), and returns how many that is.
    /// </summary>
    private static int KeepBest(ReadOnlySpan<double> scores, Span<int> rows, int keep, Span<double> scratch)
    {
        if (rows.Length <= keep)
        {
            return rows.Length;
        }

        var values = scratch[..rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            values[i] = Ordered(scores[rows[i]]);
        }

        var kth = KthLargest(values, keep);
        var kept = 0;
        foreach (var row in rows)
        {
            if (Ordered(scores[row]) >= kth)
            {
                rows[kept++] = row;
            }
        }

        return kept;
    }

    /// <summary>Pooled working memory of one early exit.</summary>
    /// <param name="Packed">The rows still alive, packed for the kernel.</param>
    /// <param name="Partial">Their partial sums, then the first rows' (room for whole blocks).</param>
    /// <param name="Scratch">One value per row, for selections.</param>
    /// <param name="Index">Which row each packed row is.</param>
    /// <param name="Offsets">The offset of each packed row (0 without offsets).</param>
    /// <param name="LeaderRows">The leaders, packed for the kernel.</param>
    /// <param name="LeaderSums">Their sums (room for whole blocks).</param>
    /// <param name="LeaderIndex">Which row each leader is; its length is the number of leaders.</param>
    private readonly ref struct EarlyExitBuffers(
        Span<float> Packed,
        Span<double> Partial,
        Span<double> Scratch,
        Span<int> Index,
        Span<double> Offsets,
        Span<float> LeaderRows,
        Span<double> LeaderSums,
        Span<int> LeaderIndex)
    {
        public Span<float> Packed { get; } = Packed;
        public Span<double> Partial { get; } = Partial;
        public Span<double> Scratch { get; } = Scratch;
        public Span<int> Index { get; } = Index;
        public Span<double> Offsets { get; } = Offsets;
        public Span<float> LeaderRows { get; } = LeaderRows;
        public Span<double> LeaderSums { get; } = LeaderSums;
        public Span<int> LeaderIndex { get; } = LeaderIndex;
    }

    private static double Ordered(double score) => double.IsNaN(score) ? double.NegativeInfinity : score;

    private static double MedianOfThree(double a, double b, double c) =>
        Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    private static double[] RemainingMax(IReadOnlyList<RegressionTree> trees)
    {
        var remaining = new double[trees.Count + 1];
        for (var t = trees.Count - 1; t >= 0; t--)
        {
            remaining[t] = remaining[t + 1] + trees[t].LeafValue.Max();
        }

        return remaining;
    }
}

using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

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
    /// with a chosen schedule; when <paramref name="treeWalks"/> is not empty it receives, per row,
    /// how many trees were walked for it (for measuring what the early exit saves).
    /// </summary>
    internal int ScoreCandidates(
        ReadOnlySpan<float> rowMajor,
        int rows,
        ReadOnlySpan<double> offsets,
        int keep,
        Span<double> scores,
        Span<int> survivors,
        PruningSchedule schedule,
        Span<int> treeWalks)
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
                Score(rowMajor, rows, scores);
                for (var r = 0; r < rows; r++)
                {
                    scores[r] = Total(scores, offsets, r, r);
                    survivors[r] = r;
                }

                treeWalks.Fill(TreeCount);
                return KeepBest(scores, survivors[..rows], keep, scratch);
            }

            var packedBuffer = ArrayPool<float>.Shared.Rent(rows * FeatureCount);
            var partialBuffer = ArrayPool<double>.Shared.Rent(rows);
            var indexBuffer = ArrayPool<int>.Shared.Rent(rows);
            try
            {
                return ScoreWithEarlyExit(
                    rowMajor, rows, offsets, maxOffset, keep, leaders, scores, survivors, schedule, treeWalks,
                    packedBuffer.AsSpan(0, rows * FeatureCount), partialBuffer.AsSpan(0, rows), scratch, indexBuffer.AsSpan(0, rows));
            }
            finally
            {
                ArrayPool<float>.Shared.Return(packedBuffer);
                ArrayPool<double>.Shared.Return(partialBuffer);
                ArrayPool<int>.Shared.Return(indexBuffer);
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
        int leaders,
        Span<double> scores,
        Span<int> survivors,
        PruningSchedule schedule,
        Span<int> treeWalks,
        Span<float> packed,
        Span<double> partial,
        Span<double> scratch,
        Span<int> index)
    {
        var n = FeatureCount;
        var trees = TreeCount;

        // Every partial sum, bound and score is at most _leafMagnitude + maxOffset in size and
        // comes from at most trees + 2 roundings, so a computed bound is off by less than
        // (trees + 2) · 2⁻⁵² of that; four times that is slack enough that rounding can never drop
        // a row whose score ties the keep-th, and far too little to matter for pruning.
        var slack = 4.0 * (trees + 2) * (Math.BitIncrement(1.0) - 1.0) * (_leafMagnitude + maxOffset);

        // Every row through the first block, read in place. The sums add the trees in Score's
        // order into a zeroed double, so a row that goes the distance has Score's bits.
        var walked = schedule.FirstBlock;
        partial.Clear();
        AddTreeRange(rowMajor, rows, partial, 0, walked);

        // The leaders are the rows with the largest partial scores, ties taken in row order.
        for (var r = 0; r < rows; r++)
        {
            scratch[r] = Total(partial, offsets, r, r);
        }

        var cut = KthLargest(scratch, leaders);
        var tiedLeaders = leaders;
        for (var r = 0; r < rows; r++)
        {
            tiedLeaders -= Total(partial, offsets, r, r) > cut ? 1 : 0;
        }

        // Packed rows: the leaders in the last places, the rows still alive from the front.
        var leaderRows = packed[((rows - leaders) * n)..];
        var leaderIndex = index[(rows - leaders)..];
        var leaderScores = scratch[..leaders];
        var ties = tiedLeaders;
        for (int r = 0, l = 0; r < rows; r++)
        {
            var s = Total(partial, offsets, r, r);
            if (s > cut || (s == cut && ties-- > 0))
            {
                rowMajor.Slice(r * n, n).CopyTo(leaderRows.Slice(l * n, n));
                leaderIndex[l] = r;
                leaderScores[l] = partial[r];
                l++;
            }
        }

        AddTreeRange(leaderRows, leaders, leaderScores, walked, trees);
        for (var l = 0; l < leaders; l++)
        {
            var row = leaderIndex[l];
            scores[row] = Total(leaderScores, offsets, l, row);
            leaderScores[l] = scores[row];
            if (!treeWalks.IsEmpty)
            {
                treeWalks[row] = trees;
            }
        }

        // At least keep leaders score this much, so the keep-th best score of all is not below it.
        var threshold = KthLargest(leaderScores, keep) - slack;

        // The others go on while their partial score plus the largest leaf value of every tree
        // left can still reach the threshold; each bound packs the rows still alive to the front.
        var alive = 0;
        ties = tiedLeaders;
        for (var r = 0; r < rows; r++)
        {
            var s = Total(partial, offsets, r, r);
            if (s > cut || (s == cut && ties-- > 0))
            {
                continue;
            }

            if (s + _remainingMax[walked] < threshold)
            {
                if (!treeWalks.IsEmpty)
                {
                    treeWalks[r] = walked;
                }

                continue;
            }

            // alive ≤ r: packing forward never overwrites a row not yet read.
            rowMajor.Slice(r * n, n).CopyTo(packed.Slice(alive * n, n));
            index[alive] = r;
            partial[alive] = partial[r];
            alive++;
        }

        while (walked < trees && alive > 0)
        {
            var next = Math.Min(trees, walked + schedule.Block);
            AddTreeRange(packed[..(alive * n)], alive, partial[..alive], walked, next);
            walked = next;
            if (walked == trees)
            {
                break;
            }

            var kept = 0;
            for (var i = 0; i < alive; i++)
            {
                if (Total(partial, offsets, i, index[i]) + _remainingMax[walked] < threshold)
                {
                    if (!treeWalks.IsEmpty)
                    {
                        treeWalks[index[i]] = walked;
                    }

                    continue;
                }

                if (kept != i)
                {
                    packed.Slice(i * n, n).CopyTo(packed.Slice(kept * n, n));
                    index[kept] = index[i];
                    partial[kept] = partial[i];
                }

                kept++;
            }

            alive = kept;
        }

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

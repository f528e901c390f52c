using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

/// <summary>
/// The early-exit scorer against the full scorer: the survivors are exactly the rows a full sort
/// puts in the top keep, ties included, and their scores are Score's to the bit, with the
/// traversal kernel (the fallback) and the leaf-bitvector kernel alike.
/// </summary>
public class LambdaMartModelTopKTests
{
    // More trees than the default first block, so the default schedule prunes too.
    private static readonly Lazy<LambdaMartModel> Trained = new(() =>
        LambdaMartTrainer.Train(
            RankingTestData.Planted(queries: 40, docsPerQuery: 20, seed: 1),
            null,
            new LambdaMartOptions { Trees = 40, Leaves = 8, MinLeafRows = 5, MinLeafHessian = 0.5 }));

    // First block / block / leaders per kept row. Short blocks, few leaders and no first block at
    // all reach every branch on small inputs; "default" is the shipped schedule.
    private static readonly string[] Schedules = ["0/1/1", "1/3/1", "5/7/2", "39/1/1", "default"];

    private static readonly int[] RowCounts = [1, 2, 7, 9, 15, 17, 64, 200, 531, 1000];

    private static LambdaMartModel Model => Trained.Value;

    [Test]
    public void Survivors_are_the_full_sorts_top_keep_with_ties_and_their_scores_are_exact(
        [ValueSource(nameof(Schedules))] string schedule,
        [Range(1, 12)] int seed,
        [Values] bool withOffsets,
        [Values] bool bitvectors)
    {
        var kernel = Kernel(bitvectors);
        var random = new Random(seed);
        foreach (var rows in RowCounts)
        {
            var x = Rows(random, rows);
            var offsets = withOffsets ? Enumerable.Range(0, rows).Select(_ => random.NextDouble() - 0.5).ToArray() : [];
            foreach (var keep in Keeps(rows))
            {
                AssertExactTopKeep(x, rows, offsets, keep, Parse(schedule), $"seed {seed}, {rows} rows, keep {keep}", kernel);
            }
        }
    }

    [Test]
    public void Both_kernels_stop_every_row_after_the_same_tree([ValueSource(nameof(Schedules))] string schedule, [Values(1, 10, 100)] int keep, [Values] bool withOffsets)
    {
        Assume.That(LambdaMartModel.BitvectorHardware, Is.True, "no AVX-512 here: the traversal is the only kernel");
        var random = new Random(keep);
        const int rows = 1000;
        var x = Rows(random, rows);
        var offsets = withOffsets ? Enumerable.Range(0, rows).Select(_ => random.NextDouble() - 0.5).ToArray() : [];
        var walks = new int[rows];
        var bitvectorWalks = new int[rows];

        Model.ScoreCandidates(x, rows, offsets, keep, new double[rows], new int[rows], Parse(schedule), walks, ScoringKernel.Traversal);
        Model.ScoreCandidates(x, rows, offsets, keep, new double[rows], new int[rows], Parse(schedule), bitvectorWalks, ScoringKernel.LeafBitvectors);

        Assert.That(bitvectorWalks, Is.EqualTo(walks));
    }

    [Test]
    public void Duplicate_rows_tied_at_the_boundary_all_survive([ValueSource(nameof(Schedules))] string schedule, [Range(1, 8)] int seed, [Values] bool bitvectors)
    {
        var kernel = Kernel(bitvectors);
        // Few distinct rows, each many times over: every cut falls inside a run of equal scores.
        var random = new Random(seed);
        const int rows = 300;
        var distinct = Rows(random, 7);
        var x = new float[rows * RankingTestData.Features];
        for (var r = 0; r < rows; r++)
        {
            distinct.AsSpan(random.Next(7) * RankingTestData.Features, RankingTestData.Features).CopyTo(x.AsSpan(r * RankingTestData.Features));
        }

        var cutsInsideRuns = 0;
        foreach (var keep in new[] { 1, 2, 10, 41, 150, 299 })
        {
            var survivors = AssertExactTopKeep(x, rows, [], keep, Parse(schedule), $"seed {seed}, keep {keep}", kernel);
            cutsInsideRuns += survivors.Length > keep ? 1 : 0;
        }

        Assert.That(cutsInsideRuns, Is.GreaterThanOrEqualTo(4), "most cuts fall inside a run of equal scores, and the whole run survives");
    }

    [Test]
    public void When_every_row_ties_every_row_survives([ValueSource(nameof(Schedules))] string schedule, [Values] bool bitvectors)
    {
        const int rows = 100;
        var x = new float[rows * RankingTestData.Features];
        Array.Fill(x, 0.25f);

        var survivors = AssertExactTopKeep(x, rows, [], keep: 3, Parse(schedule), "all equal", Kernel(bitvectors));

        Assert.That(survivors, Is.EqualTo(Enumerable.Range(0, rows)));
    }

    [Test]
    public void Bounds_drop_rows_before_the_last_tree([Values] bool bitvectors)
    {
        var random = new Random(5);
        const int rows = 1000;
        var x = Rows(random, rows);
        var walks = new int[rows];

        Model.ScoreCandidates(x, rows, [], 10, new double[rows], new int[rows], PruningSchedule.Default, walks, Kernel(bitvectors));

        Assert.That(walks.Count(w => w < Model.TreeCount), Is.GreaterThan(rows / 2), "most rows cannot reach the top 10 and stop early");
        Assert.That(walks, Has.All.InRange(PruningSchedule.Default.FirstBlock, Model.TreeCount));
    }

    [Test]
    public void Keep_at_or_above_the_row_count_scores_and_keeps_every_row([Values(50, 51, 1000)] int keep, [Values] bool bitvectors)
    {
        const int rows = 50;
        var x = Rows(new Random(3), rows);
        var scores = new double[rows];
        var survivors = new int[rows];

        var m = Model.ScoreCandidates(x, rows, [], keep, scores, survivors, PruningSchedule.Default, [], Kernel(bitvectors));

        Assert.That(m, Is.EqualTo(rows));
        Assert.That(survivors, Is.EqualTo(Enumerable.Range(0, rows)));
        Assert.That(Bits(scores), Is.EqualTo(Bits(FullScores(x, rows, []))));
    }

    [Test]
    public void No_rows_no_survivors()
    {
        Assert.That(Model.ScoreCandidates([], 0, [], 10, [], []), Is.Zero);
    }

    [Test]
    public void Features_on_the_thresholds_NaN_and_infinities_keep_the_top_exact([Values] bool bitvectors, [Values(1, 10)] int keep)
    {
        // Values exactly on a threshold go left, NaN goes left, ±∞ go right and left: every
        // kernel must send each row down the same paths.
        var random = new Random(keep);
        var thresholds = Model.Trees.SelectMany(t => t.Threshold).ToArray();
        const int rows = 700;
        var x = Rows(random, rows);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.Next(6) switch
            {
                0 => thresholds[random.Next(thresholds.Length)],
                1 => MathF.BitIncrement(thresholds[random.Next(thresholds.Length)]),
                2 => float.NaN,
                3 => random.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                _ => x[i],
            };
        }

        foreach (var schedule in Schedules)
        {
            AssertExactTopKeep(x, rows, [], keep, Parse(schedule), $"schedule {schedule}", Kernel(bitvectors));
        }
    }

    [Test]
    public void A_non_finite_offset_scores_everything_and_counts_NaN_as_lowest([Values] bool bitvectors)
    {
        var kernel = Kernel(bitvectors);
        const int rows = 200;
        var x = Rows(new Random(9), rows);
        var offsets = new double[rows];
        offsets[3] = double.NaN;
        offsets[4] = double.PositiveInfinity;
        offsets[5] = double.NegativeInfinity;
        var expected = FullScores(x, rows, offsets);

        var scores = new double[rows];
        var survivors = new int[rows];
        var m = Model.ScoreCandidates(x, rows, offsets, 2, scores, survivors, new(0, 1, 1), [], kernel);

        Assert.That(survivors[..m], Does.Contain(4).And.Not.Contain(3).And.Not.Contain(5));
        Assert.That(Bits(survivors[..m].Select(r => scores[r])), Is.EqualTo(Bits(survivors[..m].Select(r => expected[r]))));

        // Only NaN and −∞ below the cut: NaN ranks with −∞, so both survive.
        m = Model.ScoreCandidates(x, rows, offsets, rows - 1, scores, survivors, new(0, 1, 1), [], kernel);
        Assert.That(survivors[..m], Does.Contain(3).And.Contain(5));
    }

    [Test]
    public void Wrong_arguments_are_rejected()
    {
        var f = RankingTestData.Features;
        Assert.Multiple(() =>
        {
            Assert.That(() => Model.ScoreCandidates(new float[f * 4], -1, [], 1, new double[4], new int[4]), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => Model.ScoreCandidates(new float[f * 4], 4, [], 0, new double[4], new int[4]), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => Model.ScoreCandidates(new float[(f * 4) + 1], 4, [], 1, new double[4], new int[4]), Throws.ArgumentException);
            Assert.That(() => Model.ScoreCandidates(new float[f * 4], 4, [], 1, new double[3], new int[4]), Throws.ArgumentException);
            Assert.That(() => Model.ScoreCandidates(new float[f * 4], 4, [], 1, new double[4], new int[3]), Throws.ArgumentException);
            Assert.That(() => Model.ScoreCandidates(new float[f * 4], 4, new double[3], 1, new double[4], new int[4]), Throws.ArgumentException);
            Assert.That(() => Model.ScoreCandidates(new float[f * 4], 4, [], 1, new double[4], new int[4], new(0, 0, 1), []), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => Model.ScoreCandidates(new float[f * 4], 4, [], 1, new double[4], new int[4], new(0, 1, 0), []), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Room_for_more_survivors_than_rows_is_fine()
    {
        var x = Rows(new Random(2), 30);

        Assert.That(Model.ScoreCandidates(x, 30, [], 5, new double[30], new int[64]), Is.GreaterThanOrEqualTo(5));
    }

    [Test]
    public void KthLargest_matches_a_sort([Range(1, 20)] int seed)
    {
        var random = new Random(seed);
        var length = random.Next(1, 400);

        // Few distinct values for some seeds (many ties), sorted runs for others (bad pivots).
        var values = Enumerable.Range(0, length).Select(i => (seed % 4) switch
        {
            0 => random.Next(3),
            1 => i,
            2 => length - i,
            _ => random.NextDouble(),
        }).ToArray();
        var sorted = values.OrderDescending().ToArray();

        foreach (var k in new[] { 1, 2, length / 2, length - 1, length }.Where(k => k >= 1).Distinct())
        {
            Assert.That(LambdaMartModel.KthLargest(values.ToArray(), k), Is.EqualTo(sorted[k - 1]), $"k = {k} of {length}");
        }
    }

    [Test]
    public void KthLargest_rejects_k_outside_the_values()
    {
        Assert.That(() => LambdaMartModel.KthLargest(new double[3], 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => LambdaMartModel.KthLargest(new double[3], 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    /// <summary>The kernel a test runs with; the bitvectors only where this machine has them (else the test is inconclusive).</summary>
    private static ScoringKernel Kernel(bool bitvectors)
    {
        if (bitvectors)
        {
            Assume.That(LambdaMartModel.BitvectorHardware, Is.True, "no AVX-512 here: the traversal is the only kernel");
        }

        return bitvectors ? ScoringKernel.LeafBitvectors : ScoringKernel.Traversal;
    }

    private static int[] AssertExactTopKeep(float[] x, int rows, double[] offsets, int keep, PruningSchedule schedule, string context, ScoringKernel kernel)
    {
        var expected = FullScores(x, rows, offsets);
        var kth = expected.OrderDescending().ElementAt(Math.Min(keep, rows) - 1);
        var top = Enumerable.Range(0, rows).Where(r => expected[r] >= kth).ToArray();

        var scores = new double[rows];
        var survivors = new int[rows];
        var m = Model.ScoreCandidates(x, rows, offsets, keep, scores, survivors, schedule, [], kernel);

        Assert.That(survivors[..m], Is.EqualTo(top), context);
        Assert.That(Bits(survivors[..m].Select(r => scores[r])), Is.EqualTo(Bits(top.Select(r => expected[r]))), context);
        return survivors[..m];
    }

    /// <summary>What the caller would compute without the early exit: Score (by the traversal), then the offset added.</summary>
    private static double[] FullScores(float[] x, int rows, double[] offsets)
    {
        var scores = new double[rows];
        Model.Score(x, rows, scores, ScoringKernel.Traversal);
        for (var r = 0; r < offsets.Length; r++)
        {
            scores[r] += offsets[r];
        }

        return scores;
    }

    private static PruningSchedule Parse(string schedule)
    {
        if (schedule == "default")
        {
            return PruningSchedule.Default;
        }

        var parts = schedule.Split('/').Select(int.Parse).ToArray();
        return new PruningSchedule(parts[0], parts[1], parts[2]);
    }

    private static IEnumerable<int> Keeps(int rows) =>
        new[] { 1, 2, 3, 10, rows / 3, rows - 1, rows, rows + 1, rows * 2 }.Where(k => k >= 1).Distinct();

    /// <summary>Uniform rows, with a third of them rounded to tenths so distinct rows often land in the same leaves and tie.</summary>
    private static float[] Rows(Random random, int rows)
    {
        var x = new float[rows * RankingTestData.Features];
        for (var r = 0; r < rows; r++)
        {
            var coarse = random.Next(3) == 0;
            for (var f = 0; f < RankingTestData.Features; f++)
            {
                var v = (float)random.NextDouble();
                x[(r * RankingTestData.Features) + f] = coarse ? MathF.Round(v, 1) : v;
            }
        }

        return x;
    }

    private static long[] Bits(IEnumerable<double> values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();
}

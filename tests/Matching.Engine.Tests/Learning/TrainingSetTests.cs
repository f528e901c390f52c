using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Learning;

[TestFixture]
public sealed class TrainingSetTests
{
    [Test]
    public void Cohorts_are_split_by_first_goal()
    {
        LabeledPair[] pairs =
        [
            Pairs.Pair(1, day: 0, goal: Goal.Anxiety),
            Pairs.Pair(2, day: 1, goal: Goal.Depression),
            Pairs.Pair(3, day: 2, goal: Goal.Anxiety),
            Pairs.Pair(4, day: 3, goal: Goal.Depression),
            Pairs.Pair(5, day: 4, goal: null),
            Pairs.Pair(6, day: 5, goal: null),
        ];

        var data = TrainingSet.Build(pairs, GroupingPolicy.Cohort);

        Assert.That(Pairs.Queries(data), Is.EquivalentTo(new[] { new[] { 1, 3 }, new[] { 2, 4 }, new[] { 5, 6 } }));
    }

    [Test]
    public void Cohorts_are_split_into_28_day_windows_from_the_earliest_pair()
    {
        LabeledPair[] pairs =
        [
            Pairs.Pair(1, day: 0),
            Pairs.Pair(2, day: 27.99),
            Pairs.Pair(3, day: 28),
            Pairs.Pair(4, day: 55.99),
            Pairs.Pair(5, day: 56),
            Pairs.Pair(6, day: 60),
        ];

        var data = TrainingSet.Build(pairs, GroupingPolicy.Cohort);

        Assert.That(Pairs.Queries(data), Is.EquivalentTo(new[] { new[] { 1, 2 }, new[] { 3, 4 }, new[] { 5, 6 } }));
    }

    [Test]
    public void Cohort_windows_start_at_the_earliest_labeled_pair_not_an_earlier_unlabeled_one()
    {
        // Windows from day 0 would pair 1-2 and 3-4; from day 10 (the first label) they pair 1-2-3 and leave 4 alone.
        LabeledPair[] pairs =
        [
            Pairs.Unlabeled(99, day: 0),
            Pairs.Pair(1, day: 10),
            Pairs.Pair(2, day: 20),
            Pairs.Pair(3, day: 37),
            Pairs.Pair(4, day: 40),
        ];

        var data = TrainingSet.Build(pairs, GroupingPolicy.Cohort);

        Assert.That(Pairs.Queries(data), Is.EqualTo(new[] { new[] { 1, 2, 3 } }));
    }

    [Test]
    public void A_large_cohort_is_cut_into_queries_of_sixteen_in_arrival_order()
    {
        // Supplied newest first: the order of the input must not matter, only the time shown.
        var pairs = Enumerable.Range(0, 40).Select(i => Pairs.Pair(i, day: i * 0.5)).Reverse().ToList();

        var data = TrainingSet.Build(pairs, GroupingPolicy.Cohort);

        Assert.That(Pairs.Queries(data), Is.EqualTo(new[]
        {
            Enumerable.Range(0, 16).ToArray(),
            Enumerable.Range(16, 16).ToArray(),
            Enumerable.Range(32, 8).ToArray(),
        }));
    }

    [TestCase(2, new[] { 2 })]
    [TestCase(16, new[] { 16 })]
    [TestCase(17, new[] { 16 })]
    [TestCase(18, new[] { 16, 2 })]
    [TestCase(32, new[] { 16, 16 })]
    [TestCase(33, new[] { 16, 16 })]
    public void Chunk_sizes_never_exceed_the_maximum_and_a_lone_remainder_is_dropped(int cohort, int[] sizes)
    {
        var pairs = Enumerable.Range(0, cohort).Select(i => Pairs.Pair(i, day: i * 0.1)).ToList();

        var data = TrainingSet.Build(pairs, GroupingPolicy.Cohort);

        Assert.That(Pairs.Queries(data).Select(q => q.Length), Is.EqualTo(sizes));
        Assert.That(TrainingSet.MaxCohortSize, Is.EqualTo(16));
    }

    [Test]
    public void Pairs_shown_at_the_same_moment_are_ordered_by_shortlist_id()
    {
        LabeledPair[] pairs = [Pairs.Pair(5, day: 1), Pairs.Pair(3, day: 1), Pairs.Pair(4, day: 0)];

        var data = TrainingSet.Build(pairs, GroupingPolicy.Cohort);

        Assert.That(Pairs.Markers(data), Is.EqualTo(new[] { 4, 3, 5 }));
    }

    [Test]
    public void Client_grouping_keeps_only_clients_with_two_or_more_labels()
    {
        LabeledPair[] pairs =
        [
            Pairs.Pair(1, day: 0, clientId: "a"),
            Pairs.Pair(2, day: 1, clientId: "b"),
            Pairs.Pair(3, day: 2, clientId: "a", goal: Goal.Depression),
            Pairs.Pair(4, day: 3, clientId: "c"),
            Pairs.Unlabeled(5, day: 4) with { ClientId = "c" },
            Pairs.Pair(6, day: 90, clientId: "a"),
        ];

        var data = TrainingSet.Build(pairs, GroupingPolicy.Client);

        Assert.That(Pairs.Queries(data), Is.EqualTo(new[] { new[] { 1, 3, 6 } }));
    }

    [Test]
    public void A_client_query_is_not_cut_at_sixteen()
    {
        var pairs = Enumerable.Range(0, 20).Select(i => Pairs.Pair(i, day: i, clientId: "a")).ToList();

        var data = TrainingSet.Build(pairs, GroupingPolicy.Client);

        Assert.That(Pairs.Queries(data), Is.EqualTo(new[] { Enumerable.Range(0, 20).ToArray() }));
    }

    [Test]
    public void Period_grouping_puts_every_labeled_pair_in_one_query()
    {
        var pairs = Enumerable.Range(0, 30)
            .Select(i => Pairs.Pair(i, day: i * 5, goal: i % 2 == 0 ? Goal.Anxiety : Goal.Trauma))
            .Append(Pairs.Unlabeled(99, day: 1))
            .ToList();

        var data = TrainingSet.Build(pairs, GroupingPolicy.Period);

        Assert.That(Pairs.Queries(data), Is.EqualTo(new[] { Enumerable.Range(0, 30).ToArray() }));
    }

    [TestCase(GroupingPolicy.Cohort)]
    [TestCase(GroupingPolicy.Client)]
    [TestCase(GroupingPolicy.Period)]
    public void Unlabeled_pairs_are_dropped(GroupingPolicy grouping)
    {
        LabeledPair[] pairs =
        [
            Pairs.Pair(1, day: 0, clientId: "a"),
            Pairs.Unlabeled(2, day: 1) with { ClientId = "a" },
            Pairs.Pair(3, day: 2, clientId: "a"),
            Pairs.Unlabeled(4, day: 3) with { ClientId = "a" },
        ];

        var data = TrainingSet.Build(pairs, grouping);

        Assert.That(Pairs.Markers(data), Is.EqualTo(new[] { 1, 3 }));
    }

    [TestCase(GroupingPolicy.Cohort)]
    [TestCase(GroupingPolicy.Client)]
    [TestCase(GroupingPolicy.Period)]
    public void A_single_labeled_pair_makes_no_query(GroupingPolicy grouping)
    {
        var data = TrainingSet.Build([Pairs.Pair(1), Pairs.Unlabeled(2)], grouping);

        Assert.That(data.Rows, Is.Zero);
        Assert.That(data.QueryCount, Is.Zero);
        Assert.That(data.QueryBoundaries, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void Nothing_in_gives_an_empty_dataset_with_the_schema()
    {
        var data = TrainingSet.Build([], GroupingPolicy.Cohort);

        Assert.That(data.Rows, Is.Zero);
        Assert.That(data.FeatureCount, Is.EqualTo(PairFeatures.Count));
    }

    [Test]
    public void Each_row_carries_its_own_pairs_grade_and_features()
    {
        LabeledPair[] pairs =
        [
            Pairs.Pair(1, day: 3, alliance: 0.9),
            Pairs.Pair(2, day: 1, alliance: null, dropoutSession: 1),
            Pairs.Pair(3, day: 2, alliance: 0.72, rematched: true),
            Pairs.Pair(4, day: 0, alliance: 0.4),
            Pairs.Pair(5, day: 4, alliance: 0.6),
        ];
        var byMarker = pairs.ToDictionary(p => (int)p.Features[0]);

        var data = TrainingSet.Build(pairs, GroupingPolicy.Period);

        Assert.That(Pairs.Markers(data), Is.EqualTo(new[] { 4, 2, 3, 1, 5 }));
        Assert.That(data.Labels, Is.EqualTo(new float[] { 1, 0, 2, 4, 2 }));
        for (var r = 0; r < data.Rows; r++)
        {
            var pair = byMarker[(int)data.Row(r)[0]];
            Assert.That(data.Row(r).ToArray(), Is.EqualTo(pair.Features), $"row {r}");
            Assert.That(data.Labels[r], Is.EqualTo(AllianceLabel.Grade(pair)), $"row {r}");
        }
    }

    [Test]
    public void Feature_names_are_the_schemas()
    {
        var data = TrainingSet.Build([Pairs.Pair(1), Pairs.Pair(2)], GroupingPolicy.Cohort);

        Assert.That(data.FeatureCount, Is.EqualTo(PairFeatures.Count));
        Assert.That(data.FeatureNames, Is.EqualTo(PairFeatures.Schema.Select(f => f.Name)));
    }

    [Test]
    public void A_pair_logged_with_another_feature_count_is_refused_naming_its_shortlist([Values(15, 17)] int featureCount)
    {
        var odd = Pairs.Pair(2, day: 1, featureCount: featureCount);

        Assert.That(
            () => TrainingSet.Build([Pairs.Pair(1), odd, Pairs.Pair(3, day: 2)], GroupingPolicy.Cohort),
            Throws.TypeOf<InvalidDataException>()
                .With.Message.Contains(odd.ShortlistId.ToString())
                .And.Message.Contains(featureCount.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void SplitByTime_trains_on_pairs_shown_before_the_cutoff_and_holds_out_the_rest()
    {
        var pairs = Enumerable.Range(0, 10).Select(i => Pairs.Pair(i, day: i)).Reverse().ToList();

        var (train, holdout) = TrainingSet.SplitByTime(pairs, Pairs.Start.AddDays(6));

        Assert.That(train.Select(p => (int)p.Features[0]), Is.EqualTo(new[] { 5, 4, 3, 2, 1, 0 }));
        Assert.That(holdout.Select(p => (int)p.Features[0]), Is.EqualTo(new[] { 9, 8, 7, 6 }));
    }

    [TestCase(0.0, 0)]
    [TestCase(0.5, 5)]
    [TestCase(0.8, 8)]
    [TestCase(0.85, 8)]
    [TestCase(0.99, 9)]
    [TestCase(1.0, 9)]
    [TestCase(-0.5, 0)]
    [TestCase(2.0, 9)]
    public void CutoffAt_is_the_time_before_which_the_fraction_was_shown(double fraction, int day)
    {
        var pairs = Enumerable.Range(0, 10).Select(i => Pairs.Pair(i, day: (i * 7) % 10)).ToList();

        var cutoff = TrainingSet.CutoffAt(pairs, fraction);

        Assert.That(cutoff, Is.EqualTo(Pairs.Start.AddDays(day)));
    }

    [Test]
    public void CutoffAt_then_SplitByTime_trains_on_the_fraction()
    {
        var pairs = Enumerable.Range(0, 20).Select(i => Pairs.Pair(i, day: i)).ToList();

        var (train, holdout) = TrainingSet.SplitByTime(pairs, TrainingSet.CutoffAt(pairs, 0.75));

        Assert.That(train, Has.Count.EqualTo(15));
        Assert.That(holdout, Has.Count.EqualTo(5));
        Assert.That(train.Max(p => p.ShownAt), Is.LessThan(holdout.Min(p => p.ShownAt)));
    }

    [Test]
    public void CutoffAt_of_no_pairs_is_refused()
    {
        Assert.That(() => TrainingSet.CutoffAt([], 0.8), Throws.ArgumentException);
    }

    [Test]
    public void Inverse_propensity_weights_are_clipped_and_normalised_to_mean_one_and_off_by_default()
    {
        LabeledPair[] pairs =
        [
            Pairs.Pair(1, day: 0) with { Propensity = 0.5 },   // 1 / 0.5 = 2
            Pairs.Pair(2, day: 1) with { Propensity = 0.01 },  // 100, clipped to 10
            Pairs.Pair(3, day: 2),                             // not logged: 1
            Pairs.Pair(4, day: 3) with { Propensity = 0.25 },  // 4
        ];

        var weighted = TrainingSet.Build(pairs, GroupingPolicy.Period, propensityClip: 10);
        var plain = TrainingSet.Build(pairs, GroupingPolicy.Period);

        var mean = (2 + 10 + 1 + 4) / 4.0;
        Assert.Multiple(() =>
        {
            Assert.That(weighted.Weights, Is.EqualTo(new[] { 2 / mean, 10 / mean, 1 / mean, 4 / mean }).Within(1e-6));
            Assert.That(plain.Weights, Is.Null);
            Assert.That(weighted.Features, Is.EqualTo(plain.Features));
            Assert.That(weighted.Labels, Is.EqualTo(plain.Labels));
        });
    }
}

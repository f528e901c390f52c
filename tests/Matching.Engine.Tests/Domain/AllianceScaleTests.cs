using Matching.Engine.Domain;

namespace Matching.Engine.Tests.Domain;

public class AllianceScaleTests
{
    private const double Tolerance = 1e-12;

    [TestCase(AllianceInstrument.WaiSr, 12, 1, 5)]
    [TestCase(AllianceInstrument.WaiS, 12, 1, 7)]
    [TestCase(AllianceInstrument.Srs, 4, 0, 10)]
    public void Instrument_shape(AllianceInstrument instrument, int items, int min, int max)
    {
        Assert.Multiple(() =>
        {
            Assert.That(AllianceScale.ItemCount(instrument), Is.EqualTo(items));
            Assert.That(AllianceScale.ItemRange(instrument), Is.EqualTo((min, max)));
        });
    }

    [Test]
    public void WaiSr_items_follow_the_subscale_key()
    {
        // Task items (1, 2, 10, 12) at the top, bond items (3, 5, 7, 9) at the bottom, goal items (4, 6, 8, 11) midway.
        int[] items = [5, 5, 1, 3, 1, 3, 1, 3, 1, 5, 3, 5];

        var score = AllianceScale.FromItems(AllianceInstrument.WaiSr, items);

        Assert.That(score, Is.EqualTo(new AllianceScore(Goal: 0.5, Task: 1.0, Bond: 0.0)));
    }

    [Test]
    public void WaiSr_items_are_averaged_per_subscale_and_rescaled_from_1_to_5()
    {
        int[] items = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2];

        var score = AllianceScale.FromItems(AllianceInstrument.WaiSr, items);

        // Task: items 1, 2, 10, 12 = 1, 2, 5, 2 -> mean 2.5 -> (2.5 - 1) / 4.
        // Bond: items 3, 5, 7, 9 = 3, 5, 2, 4 -> mean 3.5 -> (3.5 - 1) / 4.
        // Goal: items 4, 6, 8, 11 = 4, 1, 3, 1 -> mean 2.25 -> (2.25 - 1) / 4.
        Assert.Multiple(() =>
        {
            Assert.That(score.Task, Is.EqualTo(0.375).Within(Tolerance));
            Assert.That(score.Bond, Is.EqualTo(0.625).Within(Tolerance));
            Assert.That(score.Goal, Is.EqualTo(0.3125).Within(Tolerance));
            Assert.That(score.Overall, Is.EqualTo((0.375 + 0.625 + 0.3125) / 3).Within(Tolerance));
        });
    }

    [Test]
    public void WaiS_items_are_rescaled_from_1_to_7()
    {
        // Task 7s, bond 4s, goal 1s; then one goal item raised to 7: goal mean (1 + 1 + 7 + 1) / 4 = 2.5.
        int[] items = [7, 7, 4, 1, 4, 1, 4, 7, 4, 7, 1, 7];

        var score = AllianceScale.FromItems(AllianceInstrument.WaiS, items);

        Assert.Multiple(() =>
        {
            Assert.That(score.Task, Is.EqualTo(1.0).Within(Tolerance));
            Assert.That(score.Bond, Is.EqualTo(0.5).Within(Tolerance));
            Assert.That(score.Goal, Is.EqualTo(0.25).Within(Tolerance));
        });
    }

    [Test]
    public void Srs_items_map_to_pillars_with_overall_averaged_into_each()
    {
        // Relationship 8, Goals and topics 6, Approach or method 4, Overall 10.
        int[] items = [8, 6, 4, 10];

        var score = AllianceScale.FromItems(AllianceInstrument.Srs, items);

        Assert.Multiple(() =>
        {
            Assert.That(score.Bond, Is.EqualTo(0.9).Within(Tolerance), "(8 + 10) / 2 / 10");
            Assert.That(score.Goal, Is.EqualTo(0.8).Within(Tolerance), "(6 + 10) / 2 / 10");
            Assert.That(score.Task, Is.EqualTo(0.7).Within(Tolerance), "(4 + 10) / 2 / 10");
            Assert.That(score.Overall, Is.EqualTo(0.8).Within(Tolerance));
        });
    }

    [Test]
    public void Lowest_and_highest_items_map_to_0_and_1([Values] AllianceInstrument instrument)
    {
        var (min, max) = AllianceScale.ItemRange(instrument);
        var count = AllianceScale.ItemCount(instrument);

        var lowest = AllianceScale.FromItems(instrument, Enumerable.Repeat(min, count).ToArray());
        var highest = AllianceScale.FromItems(instrument, Enumerable.Repeat(max, count).ToArray());

        Assert.Multiple(() =>
        {
            Assert.That(lowest, Is.EqualTo(new AllianceScore(0, 0, 0)));
            Assert.That(highest, Is.EqualTo(new AllianceScore(1, 1, 1)));
        });
    }

    [TestCase(AllianceInstrument.WaiSr, 0)]
    [TestCase(AllianceInstrument.WaiSr, 6)]
    [TestCase(AllianceInstrument.WaiS, 0)]
    [TestCase(AllianceInstrument.WaiS, 8)]
    [TestCase(AllianceInstrument.Srs, -1)]
    [TestCase(AllianceInstrument.Srs, 11)]
    public void An_item_out_of_range_is_rejected(AllianceInstrument instrument, int outOfRange)
    {
        var (min, max) = AllianceScale.ItemRange(instrument);
        var items = Enumerable.Repeat(min, AllianceScale.ItemCount(instrument)).ToArray();
        items[^1] = outOfRange;

        Assert.That(
            () => AllianceScale.FromItems(instrument, items),
            Throws.ArgumentException
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo("items")
                .And.Message.Contains($"{min}-{max}"));
    }

    [TestCase(AllianceInstrument.WaiSr, 11)]
    [TestCase(AllianceInstrument.WaiSr, 13)]
    [TestCase(AllianceInstrument.WaiS, 4)]
    [TestCase(AllianceInstrument.Srs, 3)]
    [TestCase(AllianceInstrument.Srs, 12)]
    [TestCase(AllianceInstrument.Srs, 0)]
    public void The_wrong_number_of_items_is_rejected(AllianceInstrument instrument, int count)
    {
        var items = Enumerable.Repeat(AllianceScale.ItemRange(instrument).Min, count).ToArray();

        Assert.That(
            () => AllianceScale.FromItems(instrument, items),
            Throws.ArgumentException
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo("items")
                .And.Message.Contains($"has {AllianceScale.ItemCount(instrument)} items, got {count}"));
    }

    [Test]
    public void Null_items_are_rejected()
    {
        Assert.That(() => AllianceScale.FromItems(AllianceInstrument.WaiSr, null!), Throws.ArgumentNullException);
    }

    // Subscale totals: WAI forms sum 4 items (WAI-SR 4-20, WAI-S 4-28); the SRS subscale is one item (0-10).
    [TestCase(AllianceInstrument.WaiSr, 12, 20, 4, 0.5, 1.0, 0.0)]
    [TestCase(AllianceInstrument.WaiSr, 10, 14, 18, 0.375, 0.625, 0.875)]
    [TestCase(AllianceInstrument.WaiS, 16, 28, 4, 0.5, 1.0, 0.0)]
    [TestCase(AllianceInstrument.WaiS, 10, 22, 13, 0.25, 0.75, 0.375)]
    [TestCase(AllianceInstrument.Srs, 6, 4, 8, 0.6, 0.4, 0.8)]
    [TestCase(AllianceInstrument.Srs, 7.5, 0, 10, 0.75, 0.0, 1.0)]
    public void Subscale_totals_are_averaged_over_their_items_and_rescaled(
        AllianceInstrument instrument, double goal, double task, double bond, double expectedGoal, double expectedTask, double expectedBond)
    {
        var score = AllianceScale.FromSubscales(instrument, goal, task, bond);

        Assert.Multiple(() =>
        {
            Assert.That(score.Goal, Is.EqualTo(expectedGoal).Within(Tolerance));
            Assert.That(score.Task, Is.EqualTo(expectedTask).Within(Tolerance));
            Assert.That(score.Bond, Is.EqualTo(expectedBond).Within(Tolerance));
        });
    }

    [Test]
    public void Subscale_totals_agree_with_the_items_they_sum([Values(AllianceInstrument.WaiSr, AllianceInstrument.WaiS)] AllianceInstrument instrument)
    {
        int[] items = [2, 3, 4, 1, 5, 2, 3, 4, 1, 5, 2, 3];
        static double Total(int[] items, params int[] key) => key.Sum(k => items[k - 1]);

        var fromItems = AllianceScale.FromItems(instrument, items);
        var fromTotals = AllianceScale.FromSubscales(instrument, goal: Total(items, 4, 6, 8, 11), task: Total(items, 1, 2, 10, 12), bond: Total(items, 3, 5, 7, 9));

        Assert.That(fromTotals, Is.EqualTo(fromItems));
    }

    [TestCase(AllianceInstrument.WaiSr, 3, 12, 12, "goal")]
    [TestCase(AllianceInstrument.WaiSr, 12, 21, 12, "task")]
    [TestCase(AllianceInstrument.WaiS, 12, 12, 29, "bond")]
    [TestCase(AllianceInstrument.Srs, 10.5, 5, 5, "goal")]
    [TestCase(AllianceInstrument.Srs, 5, -0.1, 5, "task")]
    [TestCase(AllianceInstrument.Srs, 5, 5, double.NaN, "bond")]
    public void A_subscale_total_out_of_range_is_rejected(AllianceInstrument instrument, double goal, double task, double bond, string rejected)
    {
        Assert.That(
            () => AllianceScale.FromSubscales(instrument, goal, task, bond),
            Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo(rejected));
    }

    [Test]
    public void Overall_is_the_mean_of_the_pillars()
    {
        Assert.That(new AllianceScore(Goal: 0.2, Task: 0.5, Bond: 0.8).Overall, Is.EqualTo(0.5).Within(Tolerance));
    }
}
